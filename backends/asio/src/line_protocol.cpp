#include "berth/asio/line_protocol.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <stdexcept>
#include <string>

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

// The number after `prefix`, if `line` is exactly the prefix and a number in [0, max].
std::int64_t request(std::string_view line, std::string_view prefix, std::int64_t max) {
    if (line.substr(0, prefix.size()) != prefix) return -1;
    const std::string_view number = line.substr(prefix.size());
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (error != std::errc() || end != number.data() + number.size() || value < 0 || value > max) {
        return -1;
    }
    return value;
}

net::awaitable<void> sleep_ms(std::int64_t ms) {
    net::steady_timer timer(co_await net::this_coro::executor);
    timer.expires_after(std::chrono::milliseconds(ms));
    co_await timer.async_wait(net::use_awaitable);
}

constexpr std::size_t flood_chunk_bytes = 64 * 1024;

}  // namespace

std::int64_t sleep_request_ms(std::string_view line) {
    return request(line, "sleep ", sleep_ms_max);
}

std::int64_t flood_request_bytes(std::string_view line) {
    return request(line, "flood ", static_cast<std::int64_t>(flood_bytes_max));
}

net::awaitable<void> serve_line_protocol(reader& r, writer& w) {
    const std::string chunk(flood_chunk_bytes, 'x');
    // Bounded by the stream: every turn consumes a line or ends it.
    for (;;) {
        std::optional<std::string> line = co_await r.read_line();
        if (!line) co_return;  // the peer went away: a normal end
        if (*line == "fail") throw std::runtime_error("fail requested");
        if (*line == "quit") {
            w.write("bye\n");
            co_return;
        }
        if (const std::int64_t bytes = flood_request_bytes(*line); bytes >= 0) {
            auto left = static_cast<std::uint64_t>(bytes);
            while (left > 0) {
                const std::size_t n = std::min<std::uint64_t>(left, chunk.size());
                w.write(std::string_view(chunk).substr(0, n));
                left -= n;
            }
            continue;
        }
        if (const std::int64_t ms = sleep_request_ms(*line); ms >= 0) co_await sleep_ms(ms);
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
        if (line == "fail") throw std::runtime_error("fail requested");
        if (line == "quit") {
            co_await net::async_write(sock, net::buffer("bye\n", 4),
                                      net::redirect_error(net::use_awaitable, ec));
            co_return;
        }
        if (const std::int64_t bytes = flood_request_bytes(line); bytes >= 0) {
            auto left = static_cast<std::uint64_t>(bytes);
            while (left > 0 && !ec) {
                const std::size_t part = std::min<std::uint64_t>(left, chunk.size());
                co_await net::async_write(sock, net::buffer(chunk.data(), part),
                                          net::redirect_error(net::use_awaitable, ec));
                left -= part;
            }
            if (ec) co_return;
            continue;
        }
        if (const std::int64_t ms = sleep_request_ms(line); ms >= 0) co_await sleep_ms(ms);
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
