// Small helpers for the Asio backend's tests: descriptor counts, a loopback
// client, and running an io_context until a condition holds (bounded).
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include "berth/posix/socket_address.hpp"

namespace berth::asio_test {

inline std::size_t open_descriptors() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
        ++n;
    return n;
}

/// Runs `ctx` until `condition` holds or two seconds pass (a bound, not a timing).
inline bool run_until(boost::asio::io_context& ctx, const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        if (ctx.stopped()) ctx.restart();
        static_cast<void>(ctx.run_one_for(std::chrono::milliseconds(1)));
    }
    return true;
}

/// A connected non-blocking loopback client.
class client {
public:
    explicit client(const posix::socket_address& to) {
        fd_ = ::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        REQUIRE(::connect(fd_, to.data(), to.length()) == 0);
    }
    client(const client&) = delete;
    client& operator=(const client&) = delete;
    ~client() { close(); }

    void send(const std::string& data) const {
        REQUIRE(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(data.size()));
    }
    /// Takes what has arrived, without waiting.
    std::string& poll_received() {
        char buffer[4096];
        const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT);
        if (n > 0) received_.append(buffer, static_cast<std::size_t>(n));
        if (n == 0) ended_ = true;
        return received_;
    }
    [[nodiscard]] bool ended() {
        static_cast<void>(poll_received());
        return ended_;
    }
    /// The client's own address: the peer the server sees.
    [[nodiscard]] posix::socket_address local_address() const {
        sockaddr_storage address{};
        socklen_t length = sizeof(address);
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
        return posix::socket_address(reinterpret_cast<const sockaddr*>(&address), length);
    }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
    std::string received_;
    bool ended_ = false;
};

}  // namespace berth::asio_test
