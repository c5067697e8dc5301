// libuv's primitives for the engine (berth/engine/io.hpp): the loop's clock, posted
// work on a uv_idle_t, one uv_timer_t, the listening socket's readiness on a
// uv_poll_t, and each connection's stream (stream.cpp). Private to the backend.
//
// The io's own handles must be closed before it is freed, so it keeps the engine
// (and with it, itself) alive while any of them is open, and closes them once the
// server has finished and nothing is posted: then uv_run can return and
// uv_loop_close succeeds. A later post reopens them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <uv.h>

#include "berth/posix/socket_io.hpp"
#include "berth/uv/server.hpp"

namespace berth::uv::detail {

enum class handle_state : std::uint8_t { closed, open, closing };

class uv_io final : public posix::socket_io {
public:
    uv_io(uv_loop_t* loop, posix::listener l, native_handler native);
    ~uv_io() override;

    [[nodiscard]] uv_loop_t* loop() const { return loop_; }

    core::time_ns now_ns() override { return static_cast<core::time_ns>(uv_hrtime()); }
    void post(std::function<void()> fn) override;
    void arm_timer(core::time_ns deadline_ns) override;
    void raise(std::exception_ptr error) override;
    void contract_violation(const std::string& what) override;

    void wait_readable() override;
    void close_listener() override;
    std::unique_ptr<engine::stream_io> adopt(engine::connection& c,
                                             core::socket_handle socket) override;
    void start_native_handler(engine::connection& c) override;
    [[nodiscard]] const char* check_invariant() const override;

private:
    void open_own_handles();
    void maybe_shut_down();
    void run_posted();

    static void on_poll(uv_poll_t* handle, int status, int events);
    static void on_poll_closed(uv_handle_t* handle);
    static void on_timer(uv_timer_t* handle);
    static void on_idle(uv_idle_t* handle);
    static void on_own_handle_closed(uv_handle_t* handle);

    uv_loop_t* loop_;
    native_handler native_;
    std::shared_ptr<engine::server> keep_;  // while any own handle is open

    uv_poll_t poll_{};
    handle_state poll_state_ = handle_state::closed;
    bool waiting_readable_ = false;
    uv_timer_t timer_{};
    handle_state timer_state_ = handle_state::closed;
    uv_idle_t idle_{};
    handle_state idle_state_ = handle_state::closed;
    std::vector<std::function<void()>> posted_;
    std::vector<std::function<void()>> running_;
};

}  // namespace berth::uv::detail
