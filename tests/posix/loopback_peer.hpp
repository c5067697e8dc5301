// What the tests of the real backends (berth::posix, Asio, libuv) use to play the
// other end of a connection: a loopback TCP or Unix client whose reads never block,
// so that a test can run the server's loop and the client in one thread, and the
// process's descriptor count, taken before and after each test.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <optional>
#include <poll.h>
#include <string>
#include <string_view>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "berth/address.hpp"
#include "berth/posix/socket_address.hpp"

namespace berth::test {

/// Entries of /proc/self/fd.
inline std::size_t open_descriptors() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
        ++n;
    return n;
}

/// A client connected to a server on this machine. Connecting blocks (loopback and
/// Unix connects complete in the kernel's backlog); everything else does not.
class peer {
public:
    /// `receive_buffer_bytes` > 0 sets SO_RCVBUF before connecting, which also turns
    /// off the kernel's receive autotuning: a peer that stops reading then holds
    /// back a known, small amount.
    explicit peer(const address& to, int receive_buffer_bytes = 0) {
        const posix::socket_address sa(to);
        fd_ = ::socket(sa.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        if (receive_buffer_bytes > 0) {
            REQUIRE(::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes,
                                 sizeof(receive_buffer_bytes)) == 0);
        }
        const int rc = ::connect(fd_, sa.data(), sa.length());
        INFO("connect to ", to.to_string(), ": ", std::strerror(errno));
        REQUIRE(rc == 0);
    }
    peer(const peer&) = delete;
    peer& operator=(const peer&) = delete;
    ~peer() { close(); }

    [[nodiscard]] int fd() const { return fd_; }

    /// Sends all of `data`, waiting at most a second for room.
    void send(std::string_view data) {
        while (!data.empty()) {
            const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                data.remove_prefix(static_cast<std::size_t>(n));
                continue;
            }
            REQUIRE((n < 0 && (errno == EAGAIN || errno == EINTR)));
            pollfd p{fd_, POLLOUT, 0};
            REQUIRE(::poll(&p, 1, 1000) == 1);
        }
    }

    /// Takes what has arrived, without waiting; everything received so far.
    const std::string& received() {
        static_cast<void>(read_some(SIZE_MAX));
        return in_;
    }
    /// Reads at most `max_bytes` that have arrived, without waiting, and keeps them;
    /// how many it read.
    std::size_t read_some(std::size_t max_bytes) {
        std::size_t total = 0;
        char buffer[64 * 1024];
        // Bounded: at most 64 reads per call.
        for (int i = 0; i < 64 && !ended_ && total < max_bytes; ++i) {
            const std::size_t want = std::min(sizeof(buffer), max_bytes - total);
            const ssize_t n = ::recv(fd_, buffer, want, MSG_DONTWAIT);
            if (n > 0) {
                if (keep_) in_.append(buffer, static_cast<std::size_t>(n));
                total += static_cast<std::size_t>(n);
                received_bytes_ += static_cast<std::size_t>(n);
                continue;
            }
            if (n == 0) {
                ended_ = true;
            } else if (errno != EAGAIN && errno != EINTR) {
                ended_ = true;
                end_error_ = errno;
            }
            break;
        }
        return total;
    }
    /// Stops keeping what arrives (a flood): received_bytes() still counts it.
    void discard_input() {
        keep_ = false;
        in_.clear();
    }
    /// Every byte received, kept or not.
    [[nodiscard]] std::size_t received_bytes() const { return received_bytes_; }
    /// Bytes the kernel holds for this peer, not read yet.
    [[nodiscard]] std::size_t unread_in_kernel() const {
        int n = 0;
        REQUIRE(::ioctl(fd_, FIONREAD, &n) == 0);
        return static_cast<std::size_t>(n);
    }

    /// The first line received (without its newline), removed; nothing yet otherwise.
    std::optional<std::string> take_line() {
        static_cast<void>(received());
        const std::size_t nl = in_.find('\n');
        if (nl == std::string::npos) return std::nullopt;
        std::string line = in_.substr(0, nl);
        in_.erase(0, nl + 1);
        return line;
    }

    /// Whether the server ended the stream (end of stream or a reset).
    [[nodiscard]] bool ended() {
        static_cast<void>(received());
        return ended_;
    }
    /// errno of the read that ended the stream; 0 for a clean end.
    [[nodiscard]] int end_error() const { return end_error_; }

    void shutdown_write() const { REQUIRE(::shutdown(fd_, SHUT_WR) == 0); }
    /// Closes with a reset (SO_LINGER 0) instead of an orderly end.
    void reset() {
        const linger abortive{1, 0};
        REQUIRE(::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive)) == 0);
        close();
    }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    /// The peer's own address: what the server's handler is given.
    [[nodiscard]] address local_address() const {
        sockaddr_storage storage{};
        socklen_t length = sizeof(storage);
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &length) == 0);
        return posix::socket_address(reinterpret_cast<const sockaddr*>(&storage), length)
            .to_address();
    }

private:
    int fd_ = -1;
    std::string in_;
    bool keep_ = true;
    std::size_t received_bytes_ = 0;
    bool ended_ = false;
    int end_error_ = 0;
};

}  // namespace berth::test
