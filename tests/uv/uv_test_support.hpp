// What the libuv backend's tests share: a loop that is closed (and checked) at the
// end, the process's descriptor count without libuv's process-wide ones, and the
// harness the portable scenarios (tests/posix/portable_scenarios.hpp) run on.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include <uv.h>

#include "berth/uv/server.hpp"
#include "loopback_peer.hpp"

namespace berth::uv_test {

using test::peer;
using namespace std::chrono_literals;

/// Entries of /proc/self/fd, once libuv's process-wide descriptors (its signal
/// pipe, opened with the first loop and kept for the process's life) exist.
[[nodiscard]] std::size_t count_descriptors();

/// A loop of the test's own. close_loop() runs it until it ends (bounded) and
/// returns uv_loop_close's result.
class test_loop {
public:
    test_loop();
    test_loop(const test_loop&) = delete;
    test_loop& operator=(const test_loop&) = delete;
    ~test_loop();

    [[nodiscard]] uv_loop_t* get() { return &loop_; }
    /// Runs the loop (through berth::uv::run: raised errors propagate) until
    /// `condition` holds or `bound` passed.
    bool run_until(const std::function<bool()>& condition,
                   std::chrono::milliseconds bound = std::chrono::seconds(2));
    /// Runs the loop until berth::uv::run throws; the message, or empty if nothing
    /// was thrown within `bound`.
    std::string run_until_thrown(std::chrono::milliseconds bound = std::chrono::seconds(2));
    [[nodiscard]] int close_loop();

private:
    uv_loop_t loop_{};
    uv_timer_t tick_{};
    bool closed_ = false;
    int close_result_ = 0;
};

inline posix::listen_spec loopback() {
    return posix::listen_spec::bind_to(posix::bind_address::localhost(),
                                       posix::bind_port::chosen_by_os());
}

/// close(true), then runs until handlers_finished; whether both completed in time.
bool close_all(test_loop& loop, uv::server& s);

/// The harness of tests/posix/portable_scenarios.hpp on libuv.
class harness {
public:
    using server_type = uv::server;

    static std::size_t open_descriptors() { return count_descriptors(); }

    uv::server create(const posix::listen_spec& spec, core::options o, reader_writer_handler h,
                      server_hooks hooks = {}) {
        return uv::server::create(loop.get(), spec, o, std::move(h), std::move(hooks));
    }
    uv::server create_sock(const posix::listen_spec& spec, core::options o, stream_handler h,
                           server_hooks hooks = {}) {
        return uv::server::create_sock(loop.get(), spec, o, std::move(h), std::move(hooks));
    }
    bool run_until(const std::function<bool()>& condition, std::chrono::milliseconds bound) {
        return loop.run_until(condition, bound);
    }
    bool close_all(uv::server& s) { return uv_test::close_all(loop, s); }
    /// uv_loop_close succeeds: the server left nothing on the loop.
    bool wound_down() { return loop.close_loop() == 0; }

    test_loop loop;
};

}  // namespace berth::uv_test
