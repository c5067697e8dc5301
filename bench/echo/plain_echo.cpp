#include "plain_echo.hpp"

#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace berth::bench {

namespace net = boost::asio;
using net::ip::tcp;

namespace {

net::awaitable<void> serve(tcp::socket sock) {
    std::string in;
    boost::system::error_code ec;
    for (;;) {
        const std::size_t n = co_await net::async_read_until(
            sock, net::dynamic_buffer(in), '\n', net::redirect_error(net::use_awaitable, ec));
        if (ec) co_return;
        co_await net::async_write(sock, net::buffer(in.data(), n),
                                  net::redirect_error(net::use_awaitable, ec));
        if (ec) co_return;
        in.erase(0, n);
    }
}

net::awaitable<void> accept_loop(tcp::acceptor acceptor) {
    for (;;) {
        tcp::socket sock = co_await acceptor.async_accept(net::use_awaitable);
        sock.set_option(tcp::no_delay(true));
        net::co_spawn(acceptor.get_executor(), serve(std::move(sock)), net::detached);
    }
}

}  // namespace

std::uint16_t start_plain_echo(net::io_context& ctx) {
    tcp::acceptor acceptor(ctx, tcp::endpoint(net::ip::make_address_v4("127.0.0.1"), 0));
    const std::uint16_t port = acceptor.local_endpoint().port();
    net::co_spawn(ctx, accept_loop(std::move(acceptor)), net::detached);
    return port;
}

}  // namespace berth::bench
