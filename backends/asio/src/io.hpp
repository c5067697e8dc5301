// Asio's primitives for the engine (berth/engine/io.hpp): the executor's clock,
// posts and one steady_timer, readiness of the listening socket through a
// stream_descriptor that only watches it, and each connection's socket
// (stream.cpp). Private to the backend.
#pragma once

#include <cstdint>
#include <memory>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "berth/asio/server.hpp"
#include "berth/posix/socket_io.hpp"

namespace berth::asio::detail {

class asio_io final : public posix::socket_io {
public:
    asio_io(const executor& ex, posix::listener l, native_handler native);
    ~asio_io() override;

    [[nodiscard]] const executor& get_executor() const { return exec_; }

    core::time_ns now_ns() override;
    void post(std::function<void()> fn) override;
    void arm_timer(core::time_ns deadline_ns) override;
    void raise(std::exception_ptr error) override;
    void contract_violation(const std::string& what) override;

    void wait_readable() override;
    void close_listener() override;
    std::unique_ptr<engine::stream_io> adopt(engine::connection& c,
                                             core::socket_handle socket) override;
    void start_native_handler(engine::connection& c) override;

private:
    executor exec_;
    boost::asio::posix::stream_descriptor watch_;  // the listener, watched, not owned
    boost::asio::steady_timer timer_;
    std::uint64_t timer_epoch_ = 0;
    native_handler native_;
};

}  // namespace berth::asio::detail
