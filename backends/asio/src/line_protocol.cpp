#include "berth/asio/line_protocol.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/asio/completion_condition.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace berth::asio {

namespace net = boost::asio;

namespace {

net::awaitable<void> sleep_ms(std::int64_t ms) {
    net::steady_timer timer(co_await net::this_coro::executor);
    timer.expires_after(std::chrono::milliseconds(ms));
    co_await timer.async_wait(net::use_awaitable);
}

using driver::flood_chunk_bytes;
using driver::line_command_kind;

// The answer to "read N": the bytes on one line after their count.
std::string read_answer(std::string_view bytes) {
    return "got " + std::to_string(bytes.size()) + ":" + std::string(bytes) + "\n";
}

}  // namespace

net::awaitable<void> serve_line_protocol(reader& r, writer& w) {
    const std::string chunk(flood_chunk_bytes, 'x');
    // Bounded by the stream: every turn consumes a line or ends it.
    for (;;) {
        std::optional<std::string> line = co_await r.read_line();
        if (!line) co_return;  // the peer went away: a normal end
        const driver::line_command command = driver::parse_line_command(*line);
        switch (command.kind) {
            case line_command_kind::fail: throw std::runtime_error(driver::fail_requested);
            case line_command_kind::quit: w.write("bye\n"); co_return;
            case line_command_kind::flood:
                for (std::uint64_t left = command.amount; left > 0;) {
                    const std::size_t n = std::min<std::uint64_t>(left, chunk.size());
                    w.write(std::string_view(chunk).substr(0, n));
                    left -= n;
                }
                continue;
            case line_command_kind::sleep:
                co_await sleep_ms(static_cast<std::int64_t>(command.amount));
                break;
            case line_command_kind::read: {
                std::string bytes(static_cast<std::size_t>(command.amount), '\0');
                if (co_await r.read_exactly(bytes) < bytes.size()) co_return;  // peer gone
                w.write(read_answer(bytes));
                continue;
            }
            case line_command_kind::echo: break;
        }
        line->push_back('\n');
        w.write(*line);
    }
}

net::awaitable<void> serve_line_protocol(socket& sock) {
    net::streambuf in(1 << 20);
    const std::string chunk(flood_chunk_bytes, 'x');
    for (;;) {
        boost::system::error_code ec;
        const std::size_t n = co_await net::async_read_until(
            sock, in, '\n', net::redirect_error(net::use_awaitable, ec));
        if (ec) co_return;  // end of stream, reset, closed by the server, or too long
        std::string line(net::buffers_begin(in.data()),
                         net::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(n - 1));
        in.consume(n);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const driver::line_command command = driver::parse_line_command(line);
        switch (command.kind) {
            case line_command_kind::fail: throw std::runtime_error(driver::fail_requested);
            case line_command_kind::quit:
                co_await net::async_write(sock, net::buffer("bye\n", 4),
                                          net::redirect_error(net::use_awaitable, ec));
                co_return;
            case line_command_kind::flood:
                for (std::uint64_t left = command.amount; left > 0 && !ec;) {
                    const std::size_t part = std::min<std::uint64_t>(left, chunk.size());
                    co_await net::async_write(sock, net::buffer(chunk.data(), part),
                                              net::redirect_error(net::use_awaitable, ec));
                    left -= part;
                }
                if (ec) co_return;
                continue;
            case line_command_kind::sleep:
                co_await sleep_ms(static_cast<std::int64_t>(command.amount));
                break;
            case line_command_kind::read: {
                // Bytes after the line may already be buffered: read only the rest.
                const auto wanted = static_cast<std::size_t>(command.amount);
                if (in.size() < wanted) {
                    co_await net::async_read(sock, in, net::transfer_at_least(wanted - in.size()),
                                             net::redirect_error(net::use_awaitable, ec));
                    if (ec) co_return;  // as for a line: the peer went away
                }
                const std::string bytes(
                    net::buffers_begin(in.data()),
                    net::buffers_begin(in.data()) + static_cast<std::ptrdiff_t>(wanted));
                in.consume(wanted);
                const std::string answer = read_answer(bytes);
                co_await net::async_write(sock, net::buffer(answer),
                                          net::redirect_error(net::use_awaitable, ec));
                if (ec) co_return;
                continue;
            }
            case line_command_kind::echo: break;
        }
        line.push_back('\n');
        co_await net::async_write(sock, net::buffer(line),
                                  net::redirect_error(net::use_awaitable, ec));
        if (ec) co_return;
    }
}

stream_handler line_protocol_handler() {
    return [](posix::socket_address, reader& r, writer& w) { return serve_line_protocol(r, w); };
}

sock_handler line_protocol_sock_handler() {
    return [](posix::socket_address, socket& sock) { return serve_line_protocol(sock); };
}

}  // namespace berth::asio
