#include "http_handler.hpp"

#include <array>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace berth::http_example {

namespace http = boost::beast::http;

namespace {

constexpr std::string_view hello_keep_alive =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nhello\n";
constexpr std::string_view hello_close =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: "
    "close\r\n\r\nhello\n";

std::string_view refusal(const boost::beast::error_code& ec) {
    if (ec == http::error::header_limit) {
        return "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: "
               "close\r\n\r\n";
    }
    if (ec == http::error::body_limit) {
        return "HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    }
    return "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
}

}  // namespace

// Beast's parser takes a header only whole, so what it leaves is presented again
// with what arrives next; the header limit bounds what waits.
task<> serve_hello(address /*peer*/, reader& r, writer& w) {
    std::array<char, 16 * 1024> chunk{};
    std::string pending;  // received, not yet taken by the parser
    // Bounded by the stream: every turn answers a request or ends the connection.
    for (;;) {
        http::request_parser<http::string_body> parser;
        parser.header_limit(header_bytes_max);
        parser.body_limit(body_bytes_max);
        parser.eager(true);
        while (!parser.is_done()) {
            if (!pending.empty()) {
                boost::beast::error_code ec;
                const std::size_t used = parser.put(boost::asio::buffer(pending), ec);
                pending.erase(0, used);
                if (ec && ec != http::error::need_more) {
                    w.write(refusal(ec));
                    co_return;
                }
                if (parser.is_done()) break;
                if (used > 0 && !pending.empty()) continue;
            }
            const std::size_t got = co_await r.read_some(chunk);
            if (got == 0) co_return;  // the client left: a normal end
            pending.append(chunk.data(), got);
        }
        const bool keep_alive = parser.get().keep_alive();
        w.write(keep_alive ? hello_keep_alive : hello_close);
        if (!keep_alive) co_return;
    }
}

}  // namespace berth::http_example
