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

/// What read_some yields.
struct read_result {
    std::string data;  ///< at most the bytes asked for; empty at the end or on an error
    int error = 0;     ///< ECONNRESET, EBADF (closed locally), ...
    bool eof = false;  ///< the peer shut down: nothing more will come
};

/// What read_line and read_line_for yield.
struct line_result {
    std::optional<std::string> line;  ///< without its '\n'; empty optional at the end
    int error = 0;                    ///< why the stream ended, when it was not a clean end
    bool timed_out = false;           ///< read_line_for's timeout passed first (no line)
};

/// What read_exactly yields.
struct exact_result {
    /// Exactly the bytes asked for; an empty optional when the stream ended first
    /// (the bytes short of the count are taken and dropped).
    std::optional<std::string> bytes;
    int error = 0;  ///< why the stream ended, when it was not a clean end
};

/// Not thread safe: on the world's thread. The world owns the endpoint; the handle
/// stays valid (and is_closed() once closed) for the world's life. An awaitable
/// completes at once when it can, else the awaiting task is resumed from a later
/// world event, never inside the call. Errors are values, never exceptions.
class socket {
public:
    /// @param w the world that owns the endpoint.
    /// @param endpoint the kernel's endpoint number.
    socket(world& w, std::uint32_t endpoint) : world_(&w), endpoint_(endpoint) {}

    /// The kernel's endpoint number.
    [[nodiscard]] std::uint32_t endpoint() const { return endpoint_; }
    /// This end's address as text; the reference is valid for the world's life.
    [[nodiscard]] const std::string& local_address() const;
    /// The other end's address; empty when there is none.
    [[nodiscard]] std::string peer_address() const;
    /// Bytes received and not read yet.
    [[nodiscard]] std::size_t bytes_available() const;
    /// Whether this end was closed (close, reset, or the server's close).
    [[nodiscard]] bool is_closed() const;

    /// The awaitable of read_some; co_await it at once, in a sim::task.
    struct read_awaitable {
        world* w;            ///< the socket's world
        std::uint32_t id;    ///< the endpoint
        std::size_t max;     ///< the most bytes to take
        read_result result;  ///< filled at completion
        /// @return whether the read completed without waiting.
        [[nodiscard]] bool await_ready();
        /// Waits for readability, as a world event.
        /// @param h the reading task.
        void await_suspend(std::coroutine_handle<> h);
        /// @return the result, moved out.
        read_result await_resume() { return std::move(result); }
    };
    /// Waits for at least one byte (or the end) and takes up to `max` bytes.
    /// @param max the most bytes to take.
    /// @return the awaitable, yielding a read_result.
    [[nodiscard]] read_awaitable read_some(std::size_t max) {
        return read_awaitable{world_, endpoint_, max, {}};
    }

    /// The awaitable of read_line and read_line_for; co_await it at once.
    struct line_awaitable {
        world* w;                         ///< the socket's world
        std::uint32_t id;                 ///< the endpoint
        time_ns timeout_ns;               ///< < 0: none
        line_result result;               ///< filled at completion
        std::coroutine_handle<> waiting;  ///< the task to resume
        /// @return whether a line (or the end) is there already.
        [[nodiscard]] bool await_ready();
        /// Waits for a line, and arms the timeout, as world events.
        /// @param h the reading task.
        void await_suspend(std::coroutine_handle<> h);
        /// @return the result, moved out.
        line_result await_resume() { return std::move(result); }
        /// Waits for bytes beyond those already seen.
        void arm();
        /// @return whether the read is over (a line, the end, an error).
        bool try_complete();
    };
    /// Waits for one line. The end of the stream is a result, not an exception.
    /// @return the awaitable, yielding a line_result.
    [[nodiscard]] line_awaitable read_line() {
        return line_awaitable{world_, endpoint_, -1, {}, {}};
    }
    /// Like read_line, giving up after `timeout_ns` of virtual time.
    /// @param timeout_ns from the call; a partial line stays for the next read.
    /// @return the awaitable, yielding a line_result.
    [[nodiscard]] line_awaitable read_line_for(time_ns timeout_ns) {
        return line_awaitable{world_, endpoint_, timeout_ns, {}, {}};
    }

    /// The awaitable of read_exactly; co_await it at once.
    struct exact_awaitable {
        world* w;                         ///< the socket's world
        std::uint32_t id;                 ///< the endpoint
        std::size_t wanted;               ///< the bytes asked for
        exact_result result;              ///< filled at completion
        std::coroutine_handle<> waiting;  ///< the task to resume
        /// @return whether the bytes (or the end) are there already.
        [[nodiscard]] bool await_ready();
        /// Waits for the bytes, as world events.
        /// @param h the reading task.
        void await_suspend(std::coroutine_handle<> h);
        /// @return the result, moved out.
        exact_result await_resume() { return std::move(result); }
        /// Waits for bytes beyond those already seen.
        void arm();
        /// @return whether the read is over (the bytes, the end, an error).
        bool try_complete();
    };
    /// Waits until `n` bytes (n >= 1) are there and takes exactly those. The end of
    /// the stream is a result, not an exception.
    /// @param n the bytes wanted (asserted >= 1).
    /// @return the awaitable, yielding an exact_result.
    [[nodiscard]] exact_awaitable read_exactly(std::size_t n);

    /// The awaitable of write_all; co_await it at once.
    struct write_awaitable {
        world* w;          ///< the socket's world
        std::uint32_t id;  ///< the endpoint
        /// @return whether the send buffer is empty already (or the write failed).
        [[nodiscard]] bool await_ready() const;
        /// Waits for the send buffer to empty, as a world event.
        /// @param h the writing task.
        void await_suspend(std::coroutine_handle<> h) const;
        /// @return 0, or the errno that stopped the write.
        [[nodiscard]] int await_resume() const;
    };
    /// Sends `data` and waits until the peer's receive buffer has taken all of it.
    /// Returns 0, or the errno that stopped it (EPIPE, ECONNRESET, EBADF).
    /// @param data copied into the send buffer before the call returns.
    /// @return the awaitable, yielding the errno or 0.
    [[nodiscard]] write_awaitable write_all(std::string_view data);
    /// Sends without waiting: the bytes are flushed in the background.
    /// @param data copied.
    void send(std::string_view data);

    /// No more sends: the peer reads the end of the stream after what was sent.
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
