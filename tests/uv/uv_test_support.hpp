// What the libuv backend's tests share: a loop that is closed (and checked) at the
// end, a non-blocking loopback client served between turns of the loop, and the
// process's descriptor count.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <uv.h>

#include "berth/core/types.hpp"
#include "berth/posix/socket_address.hpp"

namespace berth::uv_test {

inline constexpr core::time_ns ms = core::ns_per_ms;

/// Entries of /proc/self/fd, not counting libuv's process-wide descriptors.
[[nodiscard]] int count_descriptors();

/// A loop of the test's own. close_loop() runs it until it ends (bounded) and
/// returns uv_loop_close's result.
class test_loop {
public:
    test_loop();
    test_loop(const test_loop&) = delete;
    test_loop& operator=(const test_loop&) = delete;
    ~test_loop();

    [[nodiscard]] uv_loop_t* get() { return &loop_; }
    /// Runs the loop (through berth::uv::run, errors rethrown) until `condition`
    /// holds or `timeout_ns` passed; `between` runs between turns.
    bool run_until(const std::function<bool()>& condition, core::time_ns timeout_ns,
                   const std::function<void()>& between = {});
    [[nodiscard]] int close_loop();

private:
    uv_loop_t loop_{};
    uv_timer_t tick_{};
    bool closed_ = false;
};

/// A non-blocking client socket (TCP to 127.0.0.1:port, or a Unix path).
class test_client {
public:
    static test_client tcp(std::uint16_t port);
    static test_client unix_path(const std::string& path);
    test_client(test_client&& other) noexcept;
    test_client(const test_client&) = delete;
    test_client& operator=(const test_client&) = delete;
    ~test_client();

    void send(std::string_view data);
    void shutdown_write();
    void close();
    /// Reads without blocking; returns whether the stream ended.
    bool poll();
    /// The next line, running `loop` meanwhile; nothing on timeout or end.
    std::optional<std::string> read_line(test_loop& loop, core::time_ns timeout_ns);
    /// Waits for the end of the stream (data is kept in received()).
    bool wait_closed(test_loop& loop, core::time_ns timeout_ns);
    [[nodiscard]] const std::string& received() const { return in_; }
    /// The client's own address: the peer the server sees.
    [[nodiscard]] posix::socket_address local_address() const;

private:
    explicit test_client(int fd) : fd_(fd) {}
    int fd_ = -1;
    std::string unsent_;
    std::string in_;
    bool ended_ = false;
};

}  // namespace berth::uv_test
