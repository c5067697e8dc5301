// What the real-backend harnesses (Asio, libuv) share below the harness itself:
// the process's descriptor count, the clock, a port that something else holds, a
// scratch directory for Unix socket files, and the clients: non-blocking sockets
// served between turns of the backend's loop. Linux only, as the real backends are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "berth/core/types.hpp"
#include "berth/posix/socket_address.hpp"

namespace berth::conformance::posix_support {

/// Entries of /proc/self/fd (the directory stream's own descriptor included, the
/// same on every call).
[[nodiscard]] std::size_t process_descriptors();

[[nodiscard]] core::time_ns steady_now_ns();

/// A TCP socket listening on 127.0.0.1 at a port the OS chose, without
/// SO_REUSEADDR, so that binding that fixed port again fails with EADDRINUSE.
class occupied_port {
public:
    occupied_port() = default;
    occupied_port(const occupied_port&) = delete;
    occupied_port& operator=(const occupied_port&) = delete;
    ~occupied_port() { release(); }

    /// Returns "127.0.0.1:PORT". Throws std::system_error if the socket fails.
    std::string take();
    void release();

private:
    int fd_ = -1;
};

/// A fresh directory under the temporary directory, removed with its contents by
/// release (a server does not remove its socket file unless asked to).
class scratch_directory {
public:
    scratch_directory() = default;
    scratch_directory(const scratch_directory&) = delete;
    scratch_directory& operator=(const scratch_directory&) = delete;
    ~scratch_directory() { release(); }

    /// Creates it on the first call. Throws std::system_error if it cannot.
    const std::string& path();
    void release();

private:
    std::string path_;
};

/// Loopback (TCP or Unix) clients on non-blocking sockets. Nothing here blocks:
/// serve() does what can be done now, and the harness calls it between turns of
/// the backend's loop. A client reads only when asked (take_line, drain), so the
/// server's writes to a client nobody waits on pile up as with a slow reader.
class clients {
public:
    clients() = default;
    clients(const clients&) = delete;
    clients& operator=(const clients&) = delete;
    ~clients() { close_all(); }

    /// Starts a connect; a connect refused at once shows as the stream's end.
    /// Throws std::system_error if no socket can be made.
    std::uint32_t connect(const posix::socket_address& to);
    void send(std::uint32_t id, std::string_view data);
    /// Closes the socket once what was queued is sent.
    void close(std::uint32_t id);
    /// Closes every socket now.
    void close_all();
    /// Sends what is queued, as far as the kernel takes it; closes the clients
    /// waiting for that.
    void serve();

    /// Reads what has arrived; the next whole line (without its '\n'), if any.
    [[nodiscard]] std::optional<std::string> take_line(std::uint32_t id);
    /// Reads and discards what has arrived; how many bytes that was.
    std::size_t discard(std::uint32_t id);
    /// End of stream, a reset, a refused connect, or closed here.
    [[nodiscard]] bool ended(std::uint32_t id) const { return all_.at(id).ended; }

private:
    struct client {
        int fd = -1;
        std::string unsent;
        std::size_t unsent_from = 0;  // what is sent already: megabytes leave in pieces
        std::string received;
        bool ended = false;
        bool close_pending = false;
    };

    void flush(client& c);
    static void read_available(client& c);
    static void close_now(client& c);

    std::deque<client> all_;
};

}  // namespace berth::conformance::posix_support
