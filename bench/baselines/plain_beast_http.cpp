// plain-beast-http: a plain Boost.Beast HTTP/1.1 server, the way Beast's own
// http_server_async example is written, on one io_context and one thread. Every
// request, whatever its target, gets `200 OK` with the body "hello\n"; the
// connection stays open as long as the client keeps it alive.
#include <cstdio>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "server_args.hpp"

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using net::ip::tcp;

class session : public std::enable_shared_from_this<session> {
public:
    explicit session(tcp::socket socket) : stream_(std::move(socket)) {}

    void start() { read(); }

private:
    void read() {
        request_ = {};
        http::async_read(stream_, buffer_, request_,
                         [self = shared_from_this()](beast::error_code ec, std::size_t) {
                             if (!ec) self->respond();
                         });
    }

    void respond() {
        response_ = http::response<http::string_body>(http::status::ok, request_.version());
        response_.set(http::field::server, "plain-beast-http");
        response_.set(http::field::content_type, "text/plain");
        response_.keep_alive(request_.keep_alive());
        response_.body() = "hello\n";
        response_.prepare_payload();
        http::async_write(
            stream_, response_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
                if (ec) return;
                if (!self->response_.keep_alive()) {
                    beast::error_code ignored;
                    self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                    return;
                }
                self->read();
            });
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    http::request<http::string_body> request_;
    http::response<http::string_body> response_;
};

void accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([&acceptor](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted) return;
        if (!ec) {
            beast::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            std::make_shared<session>(std::move(socket))->start();
        }
        accept(acceptor);
    });
}

}  // namespace

int main(int argc, char** argv) {
    const berth::bench::server_args args = berth::bench::parse_server_args(argc, argv);
    net::io_context ctx(1);
    tcp::acceptor acceptor(ctx);
    try {
        const tcp::endpoint endpoint(net::ip::make_address_v4(args.host), args.port);
        acceptor.open(endpoint.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        acceptor.bind(endpoint);
        acceptor.listen(args.backlog);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "plain-beast-http: cannot listen on %s:%u: %s\n", args.host.c_str(),
                     static_cast<unsigned>(args.port), e.what());
        return 1;
    }
    berth::bench::print_listening(args.host, acceptor.local_endpoint().port());
    net::signal_set signals(ctx, SIGINT, SIGTERM);
    signals.async_wait([&ctx](const boost::system::error_code&, int) { ctx.stop(); });
    accept(acceptor);
    ctx.run();
    return 0;
}
