// plain-asio-echo: the line echo server as one would write it by hand on Boost.Asio
// for speed: one io_context on one thread (concurrency hint 1: no locking), callback
// handlers (Asio recycles their memory), one session object per connection with its
// own buffer. A read appends to the buffer; every complete line in it is written
// back with one async_write (Asio tries the write at once); a partial line waits for
// its '\n'. The next read starts when the write is done, so a client that does not
// read stops being read.
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/write.hpp>

#include "server_args.hpp"

namespace {

namespace net = boost::asio;
using net::ip::tcp;

constexpr std::size_t initial_buffer = 16 * 1024;
constexpr std::size_t max_line = 4 * 1024 * 1024;

class session : public std::enable_shared_from_this<session> {
public:
    explicit session(tcp::socket socket) : socket_(std::move(socket)), buffer_(initial_buffer) {}

    void start() { read(); }

private:
    void read() {
        if (length_ == buffer_.size()) {
            if (buffer_.size() >= max_line) return;  // the session ends, the socket closes
            buffer_.resize(buffer_.size() * 2);
        }
        socket_.async_read_some(
            net::buffer(buffer_.data() + length_, buffer_.size() - length_),
            [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
                if (!ec) self->received(n);
            });
    }

    void received(std::size_t n) {
        const std::size_t old = length_;
        length_ += n;
        const void* last = ::memrchr(buffer_.data() + old, '\n', length_ - old);
        if (last == nullptr) {
            read();
            return;
        }
        const auto lines =
            static_cast<std::size_t>(static_cast<const char*>(last) - buffer_.data()) + 1;
        net::async_write(
            socket_, net::buffer(buffer_.data(), lines),
            [self = shared_from_this(), lines](const boost::system::error_code& ec, std::size_t) {
                if (!ec) self->written(lines);
            });
    }

    void written(std::size_t lines) {
        const std::size_t rest = length_ - lines;
        if (rest > 0) std::memmove(buffer_.data(), buffer_.data() + lines, rest);
        length_ = rest;
        read();
    }

    tcp::socket socket_;
    std::vector<char> buffer_;
    std::size_t length_ = 0;
};

void accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([&acceptor](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted) return;
        if (!ec) {
            boost::system::error_code ignored;
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
        std::fprintf(stderr, "plain-asio-echo: cannot listen on %s:%u: %s\n", args.host.c_str(),
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
