// The conformance harness over the libuv backend: a loop of the harness's own, run
// a turn at a time between the clients' turns (posix/real_harness.hpp has the
// rest), and errors raised on the loop collected from berth::uv::run.
#include <cstdint>
#include <exception>
#include <memory>

#include <doctest/doctest.h>

#include "berth/posix/parse_listen_spec.hpp"
#include "berth/uv/run.hpp"
#include "berth/uv/server.hpp"
#include "posix/real_harness.hpp"

namespace berth::conformance {

namespace {

// Longest a loop turn blocks: the clients are served between turns.
constexpr std::uint64_t tick_ms = 1;
// Turns of the loop when the harness shuts down; far more than a close needs.
constexpr int shutdown_turns_max = 10'000;

class uv_harness final : public real_harness<uv::server> {
public:
    uv_harness() {
        REQUIRE(uv_loop_init(&loop_) == 0);
        REQUIRE(uv_timer_init(&loop_, &tick_) == 0);
        // libuv opens a loop-wide spare descriptor (/dev/null, for its EMFILE
        // trick) when the loop's first stream is initialised, and keeps it until
        // uv_loop_close: opened here, so that the count before a scenario has it.
        uv_tcp_t warm_up{};
        REQUIRE(uv_tcp_init(&loop_, &warm_up) == 0);
        uv_close(reinterpret_cast<uv_handle_t*>(&warm_up), nullptr);
        static_cast<void>(uv_run(&loop_, UV_RUN_NOWAIT));
    }

    uv_harness(const uv_harness&) = delete;
    uv_harness& operator=(const uv_harness&) = delete;

    ~uv_harness() override {
        shut_down();
        uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
        settle();
        uv::forget_loop(&loop_);
        CHECK(uv_loop_close(&loop_) == 0);
    }

private:
    uv::server create_server(const std::string& listen, const core::options& opts,
                             reader_writer_handler handler, server_hooks hooks) override {
        return uv::server::create(&loop_, posix::parse_listen_spec(listen), opts,
                                  std::move(handler), std::move(hooks));
    }
    uv::server create_server(const std::string& listen, const core::options& opts,
                             stream_handler handler, server_hooks hooks) override {
        return uv::server::create_sock(&loop_, posix::parse_listen_spec(listen), opts,
                                       std::move(handler), std::move(hooks));
    }

    // One turn, woken by the tick at the latest. The tick repeats: a one-shot timer
    // may fire at the start of the turn (the loop's time is cached) and leave the
    // turn's poll without a timeout.
    void run_briefly() override {
        static_cast<void>(uv_timer_start(
            &tick_, [](uv_timer_t*) {}, tick_ms, tick_ms));
        try {
            static_cast<void>(uv::run(&loop_, UV_RUN_ONCE));
        } catch (const std::exception& e) {
            record_raised(e);
        }
        static_cast<void>(uv_timer_stop(&tick_));
    }

    // Until nothing is active; errors raised meanwhile were the scenario's to check.
    void settle() override {
        for (int i = 0; i < shutdown_turns_max; ++i) {
            try {
                if (uv::run(&loop_, UV_RUN_ONCE) == 0 && !uv::has_pending_error(&loop_)) break;
            } catch (const std::exception&) {
            }
        }
    }

    uv_loop_t loop_{};
    uv_timer_t tick_{};
};

}  // namespace

std::unique_ptr<harness> make_harness() {
    return std::make_unique<uv_harness>();
}

}  // namespace berth::conformance
