// The reader and writer a `create` handler receives (SEMANTICS.md section 7), in
// libuv's callback style.
//
// Every operation's callback runs later, on the loop, never inside the call that
// started it. One read at a time: starting a read while another is outstanding is a
// precondition violation (asserted). An exception thrown by a callback is the
// handler's failure, as if it had called completion::fail with it.
//
// Thread safety: as the server's. Use them only on the loop's thread, and only
// until the handler has completed: they belong to its connection, which is
// forgotten once the handler has completed and the socket is closed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include "berth/driver/errors.hpp"

namespace berth::uv {

namespace detail {
struct connection;
}  // namespace detail

/// The connection's writer failed (berth/driver/errors.hpp): the error the error
/// policy sees.
using writer_error = driver::writer_error;

/// A line longer than reader::line_length_max: the handler fails with it.
using line_too_long = driver::line_too_long;

/// The buffered reader of a `create` connection. A read that finds the peer gone
/// (end of stream, a reset) or the socket closed by the server reports the end of
/// the stream instead of failing; `end_reason()` says why.
class reader {
public:
    /// Longest line read_line accepts, newline excluded.
    static constexpr std::size_t line_length_max = 1 << 20;

    using size_callback = std::function<void(std::size_t bytes)>;
    using line_callback = std::function<void(std::optional<std::string> line)>;

    explicit reader(detail::connection& c) : connection_(&c) {}

    /// Reads what is available, at least one byte, at most `into.size()`; 0 at the
    /// end of the stream (or when `into` is empty). `into` must outlive the call back.
    void read_some(std::span<char> into, size_callback done);

    /// Fills `into` completely; fewer bytes only at the end of the stream.
    void read_exactly(std::span<char> into, size_callback done);

    /// The next line without its "\n" (nor a "\r" before it). At the end of the
    /// stream: the unterminated rest if there is one, then nullopt. A line longer
    /// than line_length_max fails the handler with line_too_long.
    void read_line(line_callback done);

    /// Whether the stream has ended.
    [[nodiscard]] bool at_end() const;
    /// Why: 0 while open, UV_EOF for a clean end, UV_ECONNRESET and friends for a
    /// reset, UV_ECANCELED when the server closed the socket.
    [[nodiscard]] int end_reason() const;

private:
    detail::connection* connection_;
};

/// The buffered writer of a `create` connection. write() appends and returns at
/// once; the bytes are flushed in the background. Once the writer stopped (buffer
/// too old, peer gone, write failed) or the connection's result is decided, writes
/// are discarded.
class writer {
public:
    explicit writer(detail::connection& c) : connection_(&c) {}

    void write(std::string_view data);
    /// Bytes accepted by write() and not yet taken by the kernel.
    [[nodiscard]] std::uint64_t bytes_waiting() const;
    [[nodiscard]] bool accepts_writes() const;

private:
    detail::connection* connection_;
};

}  // namespace berth::uv
