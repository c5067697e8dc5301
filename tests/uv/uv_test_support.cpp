#include "uv_test_support.hpp"

#include <dirent.h>
#include <stdexcept>

#include <doctest/doctest.h>

#include "berth/uv/run.hpp"

namespace berth::uv_test {

namespace {

constexpr int close_turns_max = 10'000;

// libuv opens a process-wide signal pipe the first time any loop is created and
// keeps it for the life of the process. Creating one loop before the first count
// keeps that pipe out of every test's before/after comparison.
void open_libuv_process_descriptors() {
    static const bool opened = [] {
        uv_loop_t loop;
        REQUIRE(uv_loop_init(&loop) == 0);
        REQUIRE(uv_loop_close(&loop) == 0);
        return true;
    }();
    static_cast<void>(opened);
}

}  // namespace

std::size_t count_descriptors() {
    open_libuv_process_descriptors();
    return test::open_descriptors();
}

test_loop::test_loop() {
    REQUIRE(uv_loop_init(&loop_) == 0);
    REQUIRE(uv_timer_init(&loop_, &tick_) == 0);
}

test_loop::~test_loop() {
    if (!closed_) static_cast<void>(close_loop());
}

bool test_loop::run_until(const std::function<bool()>& condition, std::chrono::milliseconds bound) {
    const auto until = std::chrono::steady_clock::now() + bound;
    // A tick every millisecond: each turn blocks at most that long.
    static_cast<void>(uv_timer_start(
        &tick_, [](uv_timer_t*) {}, 1, 1));
    bool met = false;
    try {
        for (;;) {
            if (condition()) {
                met = true;
                break;
            }
            if (std::chrono::steady_clock::now() >= until) break;
            static_cast<void>(uv::run(&loop_, UV_RUN_ONCE));
        }
    } catch (...) {
        static_cast<void>(uv_timer_stop(&tick_));
        throw;
    }
    static_cast<void>(uv_timer_stop(&tick_));
    return met;
}

std::string test_loop::run_until_thrown(std::chrono::milliseconds bound) {
    try {
        static_cast<void>(run_until([] { return false; }, bound));
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}

int test_loop::close_loop() {
    if (closed_) return close_result_;
    closed_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    for (int i = 0; i < close_turns_max; ++i) {
        try {
            if (uv::run(&loop_, UV_RUN_ONCE) == 0 && !uv::has_pending_error(&loop_)) break;
        } catch (const std::exception&) {
            // The test checked the errors it cared about.
        }
    }
    uv::forget_loop(&loop_);
    close_result_ = uv_loop_close(&loop_);
    return close_result_;
}

bool close_all(test_loop& loop, uv::server& s) {
    bool closed = false;
    bool finished = false;
    s.close(true, [&] { closed = true; });
    s.handlers_finished([&] { finished = true; });
    return loop.run_until([&] { return closed && finished; });
}

}  // namespace berth::uv_test
