// A connection's socket on Asio (engine::stream_io). Operations complete through
// the socket's executor. close() cancels what is in flight; the cancelled handlers
// still run, so the close is reported by the last of them (or posted when none is
// in flight): the engine hears of it only once Asio holds nothing of this stream,
// and the handlers can use `this` without holding it.
#include <cerrno>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>

#include "berth/engine/connection.hpp"
#include "io.hpp"

namespace berth::asio::detail {

namespace net = boost::asio;

namespace {

// Asio reports system errors in the system category (errno values on Linux); its
// own (eof is handled by the caller) map to EIO.
int errno_of(const boost::system::error_code& ec) {
    if (ec.category() == boost::system::system_category()) return ec.value();
    return EIO;
}

class asio_stream final : public engine::stream_io {
public:
    asio_stream(const executor& ex, engine::connection& c) : connection_(&c), sock_(ex) {}

    socket& sock() { return sock_; }
    void assign(int family, int fd) {
        const net::generic::stream_protocol protocol(family, family == AF_UNIX ? 0 : IPPROTO_TCP);
        boost::system::error_code ec;
        sock_.assign(protocol, fd, ec);
        if (ec) throw std::system_error(ec, "cannot hand the accepted socket to Asio");
        fd_ = fd;
    }

    void read(std::span<char> into) override {
        ++in_flight_;
        sock_.async_read_some(net::buffer(into.data(), into.size()),
                              [this](const boost::system::error_code& ec, std::size_t bytes) {
                                  if (settle()) return;
                                  if (ec == net::error::eof) {
                                      connection_->on_read(0, 0);
                                  } else {
                                      connection_->on_read(bytes, ec ? errno_of(ec) : 0);
                                  }
                              });
    }

    void write(std::span<const char> from) override {
        ++in_flight_;
        sock_.async_write_some(net::buffer(from.data(), from.size()),
                               [this](const boost::system::error_code& ec, std::size_t bytes) {
                                   if (settle()) return;
                                   connection_->on_written(bytes, ec ? errno_of(ec) : 0);
                               });
    }

    void shutdown(engine::shutdown_how how) override {
        boost::system::error_code ignored;
        sock_.shutdown(how == engine::shutdown_how::write ? net::socket_base::shutdown_send
                                                          : net::socket_base::shutdown_both,
                       ignored);
    }

    void close() override {
        closed_ = true;
        fd_ = -1;
        // Errors are ignored: the peer may be gone, or the handler closed the socket.
        boost::system::error_code ignored;
        if (sock_.is_open()) {
            sock_.shutdown(net::socket_base::shutdown_both, ignored);
            sock_.close(ignored);
        }
        if (in_flight_ == 0) {
            net::post(sock_.get_executor(), [c = connection_] { c->on_closed(); });
        }
    }

    [[nodiscard]] native_handle_type native_handle() const override { return fd_; }

private:
    // One operation less in flight; true when the stream is closed and the caller
    // must not report (the last one reports the close instead).
    bool settle() {
        --in_flight_;
        if (!closed_) return false;
        if (in_flight_ == 0) connection_->on_closed();
        return true;
    }

    engine::connection* connection_;
    socket sock_;
    std::uint32_t in_flight_ = 0;
    bool closed_ = false;
    int fd_ = -1;
};

}  // namespace

std::unique_ptr<engine::stream_io> make_stream(const executor& ex, engine::connection& c,
                                               int family, int fd) {
    auto s = std::make_unique<asio_stream>(ex, c);
    s->assign(family, fd);
    return s;
}

socket& socket_of(engine::stream_io& s) {
    return static_cast<asio_stream&>(s).sock();
}

}  // namespace berth::asio::detail
