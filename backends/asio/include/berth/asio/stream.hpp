// The reader and writer a `create` handler receives (SEMANTICS.md section 7).
//
// Thread safety: as the server's. Use them only from the server's executor, and
// only while the handler runs: they belong to its connection, which is forgotten
// once the handler has returned and the socket is closed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include "berth/driver/errors.hpp"

namespace berth::asio {

namespace detail {
struct connection;
}  // namespace detail

/// The connection's writer failed (berth/driver/errors.hpp): the error the error
/// policy sees.
using writer_error = driver::writer_error;

/// A line longer than reader::line_length_max: the handler fails with it unless it
/// catches it.
using line_too_long = driver::line_too_long;

/// The buffered reader of a `create` connection. A read that finds the peer gone
/// (end of stream, a reset) or the socket closed by the server reports the end of
/// the stream instead of throwing; `end_reason()` says why.
class reader {
public:
    /// Longest line read_line accepts, newline excluded.
    static constexpr std::size_t line_length_max = 1 << 20;

    explicit reader(detail::connection& c) : connection_(&c) {}

    /// Reads what is available, at least one byte, at most `into.size()`.
    /// Returns 0 at the end of the stream (or when `into` is empty).
    [[nodiscard]] boost::asio::awaitable<std::size_t> read_some(std::span<char> into);

    /// Fills `into` completely; returns fewer bytes only at the end of the stream.
    [[nodiscard]] boost::asio::awaitable<std::size_t> read_exactly(std::span<char> into);

    /// The next line without its "\n" (nor a "\r" before it). At the end of the
    /// stream: the unterminated rest if there is one, then nullopt. Throws
    /// line_too_long past line_length_max.
    [[nodiscard]] boost::asio::awaitable<std::optional<std::string>> read_line();

    /// Whether the stream has ended; why (boost::asio::error::eof for a clean end).
    [[nodiscard]] bool at_end() const;
    [[nodiscard]] boost::system::error_code end_reason() const;

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

}  // namespace berth::asio
