/// @file
/// The buffered reader of a `create` handler (SEMANTICS.md section 7), the same on
/// every backend: `berth::task<> handler(berth::address peer, berth::reader& r,
/// berth::writer& w)`. A `create_sock` handler may make one over its stream too.
///
/// Every operation first takes what was already received, without suspending when
/// that is enough. A read that finds the peer gone (end of stream, a reset) or the
/// socket closed by the server reports the end of the stream instead of throwing;
/// `end_reason()` says why. Each operation has a variant with a timeout; a timed-out
/// read leaves the reader usable and loses nothing that arrives later.
///
/// Ownership and lifetime: the reader reads its connection's input buffer. Use it
/// only from the handler, while the handler runs; one operation at a time.
/// Thread safety: as the server's; only on the server's loop.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "berth/detail/read_operation.hpp"
#include "berth/stream.hpp"

namespace berth {

/// The buffered reader over a connection's input. Each operation returns an
/// awaitable to `co_await` at once, one at a time: it completes without
/// suspending when what was received is enough, else the handler is resumed later
/// from the server's loop, never inside the call that started the operation. Only
/// the line reads throw (line_too_long); the end of the stream is a value.
class reader {
public:
    /// The longest line read_line accepts, newline excluded, unless given otherwise.
    static constexpr std::size_t default_line_length_max = 1 << 20;
    /// The most any reader's line_length_max may be: the input buffer holds a
    /// whole line, so this bounds a connection's memory.
    static constexpr std::size_t line_length_limit = 16 << 20;

    /// A reader over `s`'s input. A reader owns nothing: several over one stream,
    /// one after the other, read the same buffer.
    /// @param s the stream; its connection must outlive the reader.
    /// @param line_length_max the longest line read_line accepts, newline excluded.
    /// @throws std::invalid_argument "reader: line_length_max must be from 1 to
    ///   16777216 (got <n>)" when it is 0 or above line_length_limit; thrown in a
    ///   handler, it is that handler's error, for the server's error policy.
    explicit reader(stream& s, std::size_t line_length_max = default_line_length_max);

    /// What is available, at least one byte, at most `into.size()`; 0 at the end of
    /// the stream (or when `into` is empty).
    /// @param into filled from the front; must stay valid until the read completes.
    /// @return an awaitable yielding the bytes read (std::size_t).
    [[nodiscard]] detail::read_bytes_operation read_some(std::span<char> into);
    /// Fills `into` completely; fewer bytes only at the end of the stream.
    /// @param into must stay valid until the read completes.
    /// @return an awaitable yielding the bytes read (std::size_t).
    [[nodiscard]] detail::read_bytes_operation read_exactly(std::span<char> into);
    /// The next line without its "\n" (nor a "\r" before it). At the end of the
    /// stream: the unterminated rest if there is one, then nothing.
    /// @return an awaitable yielding std::optional<std::string>.
    /// @throws line_too_long "read_line: no newline within N bytes", from the
    ///   co_await, past line_length_max bytes without a newline.
    [[nodiscard]] detail::read_line_operation read_line();
    /// read_line without the copy: a view into the input buffer, valid until the
    /// next read on this connection.
    /// @return an awaitable yielding std::optional<std::string_view>.
    /// @throws line_too_long as read_line.
    [[nodiscard]] detail::read_line_view_operation read_line_view();

    /// read_some, giving up after `timeout`; the reader stays usable.
    /// @param into as for read_some.
    /// @param timeout from the call; the loop's clock (virtual in the simulator).
    /// @return an awaitable yielding a berth::timed_read.
    [[nodiscard]] detail::timed_read_operation read_some_for(std::span<char> into,
                                                             std::chrono::nanoseconds timeout);
    /// On timeout, the bytes read so far are in `into` and counted in `bytes`.
    /// @param into as for read_exactly.
    /// @param timeout from the call.
    /// @return an awaitable yielding a berth::timed_read.
    [[nodiscard]] detail::timed_read_operation read_exactly_for(std::span<char> into,
                                                                std::chrono::nanoseconds timeout);
    /// read_line, giving up after `timeout`; a partial line stays buffered for the
    /// next read.
    /// @param timeout from the call.
    /// @return an awaitable yielding a berth::timed_line.
    /// @throws line_too_long as read_line.
    [[nodiscard]] detail::timed_line_operation read_line_for(std::chrono::nanoseconds timeout);

    /// Whether the stream has ended and everything received was read.
    [[nodiscard]] bool at_end() const;
    /// Why the stream ended (stream::end_reason).
    [[nodiscard]] std::error_code end_reason() const;
    /// The longest line read_line accepts, as given at construction.
    [[nodiscard]] std::size_t line_length_max() const { return line_length_max_; }
    /// Bytes received and not read yet.
    [[nodiscard]] std::size_t bytes_available() const;

private:
    engine::connection* connection_;
    std::size_t line_length_max_;
};

}  // namespace berth
