// The reader and writer of a `create` connection. The writer's books (age limit,
// departed peer, final flush) are kept by the driver with core::writer_tracker.
#include "berth/asio/stream.hpp"

#include <algorithm>
#include <cstring>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "berth/core/detail/assert.hpp"
#include "server_impl.hpp"

namespace berth::asio {

namespace net = boost::asio;

namespace {

// Bytes asked of the kernel per read: large enough for a burst, small enough that
// an idle connection's buffer stays small.
constexpr std::size_t read_chunk_bytes = 16 * 1024;

// Appends what the kernel has to the connection's input buffer. Returns false at
// the end of the stream (recording why); never throws for a peer that went away.
net::awaitable<bool> fill(detail::connection& c) {
    detail::stream_state& s = *c.stream;
    if (s.at_end) co_return false;
    if (s.in_head > 0 && s.in_head * 2 >= s.in.size()) {
        s.in.erase(0, s.in_head);
        s.in_head = 0;
    }
    const std::size_t old_size = s.in.size();
    s.in.resize(old_size + read_chunk_bytes);
    boost::system::error_code ec;
    const std::size_t n =
        co_await c.sock.async_read_some(net::buffer(s.in.data() + old_size, read_chunk_bytes),
                                        net::redirect_error(net::use_awaitable, ec));
    s.in.resize(old_size + n);
    if (ec || c.fd_closed) {
        // End of stream, a reset, or the server closed the socket under the read
        // (close_existing_connections): all end the stream for the handler.
        s.at_end = true;
        s.end_reason = ec ? ec : net::error::operation_aborted;
        co_return n > 0;
    }
    co_return true;
}

std::size_t take(detail::stream_state& s, std::span<char> into) {
    const std::size_t n = std::min(into.size(), s.in.size() - s.in_head);
    if (n > 0) std::memcpy(into.data(), s.in.data() + s.in_head, n);
    s.in_head += n;
    return n;
}

}  // namespace

net::awaitable<std::size_t> reader::read_some(std::span<char> into) {
    detail::stream_state& s = *connection_->stream;
    if (into.empty()) co_return 0;
    if (s.in_head == s.in.size() && !co_await fill(*connection_)) co_return 0;
    co_return take(s, into);
}

net::awaitable<std::size_t> reader::read_exactly(std::span<char> into) {
    detail::stream_state& s = *connection_->stream;
    std::size_t done = 0;
    // Bounded: every turn takes at least one byte or ends the stream.
    while (done < into.size()) {
        if (s.in_head == s.in.size() && !co_await fill(*connection_)) break;
        done += take(s, into.subspan(done));
    }
    co_return done;
}

net::awaitable<std::optional<std::string>> reader::read_line() {
    detail::stream_state& s = *connection_->stream;
    std::size_t searched = s.in_head;
    // Bounded by line_length_max: every turn adds bytes or ends the stream.
    for (;;) {
        const char* begin = s.in.data() + searched;
        const auto* newline =
            static_cast<const char*>(std::memchr(begin, '\n', s.in.size() - searched));
        if (newline != nullptr) {
            const auto end = static_cast<std::size_t>(newline - s.in.data());
            std::size_t line_end = end;
            if (line_end > s.in_head && s.in[line_end - 1] == '\r') --line_end;
            std::string line(s.in.data() + s.in_head, line_end - s.in_head);
            s.in_head = end + 1;
            co_return line;
        }
        if (s.in.size() - s.in_head > line_length_max) {
            throw line_too_long("read_line: no newline within " + std::to_string(line_length_max) +
                                " bytes");
        }
        searched = s.in.size() - s.in_head;  // relative: fill may compact the buffer
        const bool more = co_await fill(*connection_);
        searched += s.in_head;
        if (!more) {
            if (s.in_head == s.in.size()) co_return std::nullopt;
            std::string rest(s.in.data() + s.in_head, s.in.size() - s.in_head);
            s.in_head = s.in.size();
            co_return rest;
        }
    }
}

bool reader::at_end() const {
    const detail::stream_state& s = *connection_->stream;
    return s.at_end && s.in_head == s.in.size();
}

boost::system::error_code reader::end_reason() const {
    return connection_->stream->end_reason;
}

void writer::write(std::string_view data) {
    connection_->owner->writer_write(*connection_, data);
}

std::uint64_t writer::bytes_waiting() const {
    return connection_->stream->tracker.bytes_waiting();
}

bool writer::accepts_writes() const {
    return connection_->owner->writer_accepts(*connection_);
}

}  // namespace berth::asio
