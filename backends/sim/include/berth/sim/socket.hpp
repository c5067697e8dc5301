/// @file
/// A connected simulated socket, as handlers (create_sock) and clients use it. A
/// cheap handle: copies name the same socket. Every operation that may wait is an
/// awaitable for a sim::task; it completes from the world's event loop.
#pragma once

#include <coroutine>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "berth/core/types.hpp"

namespace berth::sim {

class world;
using core::time_ns;

struct read_result {
    std::string data;
    int error = 0;     ///< ECONNRESET, EBADF (closed locally), ...
    bool eof = false;  ///< the peer shut down: nothing more will come
};

struct line_result {
    std::optional<std::string> line;  ///< without its '\n'; empty optional at the end
    int error = 0;                    ///< why the stream ended, when it was not a clean end
    bool timed_out = false;
};

struct exact_result {
    /// Exactly the bytes asked for; an empty optional when the stream ended first
    /// (the bytes short of the count are taken and dropped).
    std::optional<std::string> bytes;
    int error = 0;  ///< why the stream ended, when it was not a clean end
};

class socket {
public:
    socket(world& w, std::uint32_t endpoint) : world_(&w), endpoint_(endpoint) {}

    [[nodiscard]] std::uint32_t endpoint() const { return endpoint_; }
    [[nodiscard]] const std::string& local_address() const;
    [[nodiscard]] std::string peer_address() const;
    /// Bytes received and not read yet.
    [[nodiscard]] std::size_t bytes_available() const;
    [[nodiscard]] bool is_closed() const;

    struct read_awaitable {
        world* w;
        std::uint32_t id;
        std::size_t max;
        read_result result;
        [[nodiscard]] bool await_ready();
        void await_suspend(std::coroutine_handle<> h);
        read_result await_resume() { return std::move(result); }
    };
    /// Waits for at least one byte (or the end) and takes up to `max` bytes.
    [[nodiscard]] read_awaitable read_some(std::size_t max) {
        return read_awaitable{world_, endpoint_, max, {}};
    }

    struct line_awaitable {
        world* w;
        std::uint32_t id;
        time_ns timeout_ns;  ///< < 0: none
        line_result result;
        std::coroutine_handle<> waiting;
        [[nodiscard]] bool await_ready();
        void await_suspend(std::coroutine_handle<> h);
        line_result await_resume() { return std::move(result); }
        void arm();
        bool try_complete();
    };
    /// Waits for one line. The end of the stream is a result, not an exception.
    [[nodiscard]] line_awaitable read_line() {
        return line_awaitable{world_, endpoint_, -1, {}, {}};
    }
    /// Like read_line, giving up after `timeout_ns` of virtual time.
    [[nodiscard]] line_awaitable read_line_for(time_ns timeout_ns) {
        return line_awaitable{world_, endpoint_, timeout_ns, {}, {}};
    }

    struct exact_awaitable {
        world* w;
        std::uint32_t id;
        std::size_t wanted;
        exact_result result;
        std::coroutine_handle<> waiting;
        [[nodiscard]] bool await_ready();
        void await_suspend(std::coroutine_handle<> h);
        exact_result await_resume() { return std::move(result); }
        void arm();
        bool try_complete();
    };
    /// Waits until `n` bytes (n >= 1) are there and takes exactly those. The end of
    /// the stream is a result, not an exception.
    [[nodiscard]] exact_awaitable read_exactly(std::size_t n);

    struct write_awaitable {
        world* w;
        std::uint32_t id;
        [[nodiscard]] bool await_ready() const;
        void await_suspend(std::coroutine_handle<> h) const;
        [[nodiscard]] int await_resume() const;
    };
    /// Sends `data` and waits until the peer's receive buffer has taken all of it.
    /// Returns 0, or the errno that stopped it (EPIPE, ECONNRESET, EBADF).
    [[nodiscard]] write_awaitable write_all(std::string_view data);
    /// Sends without waiting: the bytes are flushed in the background.
    void send(std::string_view data);

    void shutdown_write();
    /// Closes this end. On a handler's socket it shuts the connection down; the
    /// server still releases the descriptor itself (SEMANTICS.md section 5.3).
    void close();
    /// Closes abortively (SO_LINGER 0): the peer sees ECONNRESET.
    void reset();

private:
    world* world_;
    std::uint32_t endpoint_;
};

}  // namespace berth::sim
