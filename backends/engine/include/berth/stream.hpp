/// @file
/// The byte stream a `create_sock` handler receives (SEMANTICS.md section 1), the
/// same on every backend: `berth::task<> handler(berth::address peer, berth::stream& s)`.
///
/// A read that finds the peer gone (end of stream, a reset) or the socket closed by
/// the server reports the end of the stream (0 bytes) instead of throwing;
/// `end_reason()` says why. A write reports how it ended as a std::error_code.
/// For buffered reads (lines, exact counts) over the stream, construct a
/// berth::reader on it: both share the connection's input buffer.
///
/// Ownership and lifetime: the stream belongs to the server's connection. Use it
/// only from the handler, while the handler runs; buffers passed to an operation
/// must stay valid until the operation completes.
/// Thread safety: as the server's; only on the server's loop.
#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <span>
#include <string_view>
#include <system_error>

#include "berth/address.hpp"
#include "berth/detail/operation.hpp"
#include "berth/detail/read_operation.hpp"

namespace berth {

namespace detail {

class write_operation final : public operation {
public:
    write_operation(engine::connection& c, std::span<const char> data)
        : operation(c, no_timeout), data_(data) {}

    /// Nothing to write, or the stream cannot write (closed, shut down).
    [[nodiscard]] bool await_ready();
    void await_suspend(std::coroutine_handle<> h);
    /// Empty when every byte reached the kernel; else why not: broken_pipe or
    /// connection_reset when the peer went away, operation_canceled when the server
    /// closed the connection, broken_pipe after the handler shut the stream down.
    [[nodiscard]] std::error_code await_resume() const { return error_; }

    bool on_progress() override;

private:
    std::span<const char> data_;
    std::error_code error_;
};

}  // namespace detail

/// A connection's byte stream, as a `create_sock` handler sees it. Each operation
/// returns an awaitable to `co_await` at once, one at a time: it completes without
/// suspending when it can (bytes already received, nothing to write), else the
/// handler is resumed later from the server's loop, never inside the call that
/// started the operation. None throws: errors are values.
class stream {
public:
    /// What native_handle() returns: a descriptor on POSIX.
    using native_handle_type = std::int64_t;

    /// The server makes one per connection; a handler never needs to.
    /// @param c the connection; must outlive the stream.
    explicit stream(engine::connection& c) : connection_(&c) {}

    /// Reads what is available, at least one byte, at most `into.size()`. Yields 0 at
    /// the end of the stream (or when `into` is empty).
    /// @param into filled from the front; must stay valid until the read completes.
    /// @return an awaitable yielding the bytes read (std::size_t).
    [[nodiscard]] detail::read_bytes_operation read_some(std::span<char> into);
    /// read_some, giving up after `timeout` (the stream stays usable).
    /// @param into as for read_some.
    /// @param timeout from the call; the loop's clock (virtual in the simulator).
    /// @return an awaitable yielding a berth::timed_read: the bytes, and whether the
    ///   timeout passed first.
    [[nodiscard]] detail::timed_read_operation read_some_for(std::span<char> into,
                                                             std::chrono::nanoseconds timeout);
    /// Writes all of `data`; completes once the kernel has taken it, or the write
    /// failed. `data` must stay valid until then.
    /// @param data the bytes; not copied.
    /// @return an awaitable yielding a std::error_code: empty when every byte
    ///   reached the kernel; broken_pipe or connection_reset when the peer went
    ///   away, operation_canceled when the server closed the connection,
    ///   broken_pipe after the handler shut the stream down.
    [[nodiscard]] detail::write_operation write(std::string_view data);

    /// No more writes: the peer sees the end of the stream after what was written.
    /// Reads go on. Later writes complete at once with broken_pipe.
    void shutdown();
    /// Shuts the connection down both ways: the peer sees the end, this stream's
    /// reads end and its writes fail. The server still closes the descriptor itself
    /// once the handler has returned (SEMANTICS.md section 5.3).
    void close();

    /// Whether the stream has ended and everything received was read.
    [[nodiscard]] bool at_end() const;
    /// Why the stream ended: empty for the peer's clean end, connection_reset for a
    /// reset, operation_canceled when the server or the handler closed it.
    [[nodiscard]] std::error_code end_reason() const;
    /// The peer's address, as the handler was given it; valid while the handler runs.
    [[nodiscard]] const address& peer() const;
    /// The socket's descriptor, or -1 where the backend has none (the simulator)
    /// or once it is closed. Reading or writing it directly bypasses the stream.
    [[nodiscard]] native_handle_type native_handle() const;

    /// The engine's connection behind the stream, for readers made over it.
    [[nodiscard]] engine::connection& connection() const { return *connection_; }

private:
    engine::connection* connection_;
};

}  // namespace berth
