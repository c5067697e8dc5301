// Asio's primitives (io.hpp). Every completion handler holds the engine
// (engine::server::self), so a server whose last handle is gone still finishes
// what it started; a handler that belongs to an older arming of the timer or the
// watch finds its epoch or the watch gone and does nothing.
#include "io.hpp"

#include <chrono>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include "berth/engine/connection.hpp"

namespace berth::asio::detail {

namespace net = boost::asio;

std::unique_ptr<engine::stream_io> make_stream(const executor& ex, engine::connection& c,
                                               int family, int fd);
socket& socket_of(engine::stream_io& s);

asio_io::asio_io(const executor& ex, posix::listener l, native_handler native)
    : socket_io(std::move(l)), exec_(ex), watch_(ex), timer_(ex), native_(std::move(native)) {
    boost::system::error_code ec;
    watch_.assign(listening().fd(), ec);
    if (ec) throw std::system_error(ec, "cannot watch the listening socket");
}

asio_io::~asio_io() {
    // The listener owns the descriptor; Asio only watches it.
    if (watch_.is_open()) static_cast<void>(watch_.release());
}

core::time_ns asio_io::now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void asio_io::post(std::function<void()> fn) {
    net::post(exec_, std::move(fn));
}

void asio_io::arm_timer(core::time_ns deadline_ns) {
    const std::uint64_t epoch = ++timer_epoch_;
    if (deadline_ns == core::no_deadline_ns) {
        timer_.cancel();
        return;
    }
    timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline_ns)));
    timer_.async_wait([self = engine().self(), this, epoch](const boost::system::error_code&) {
        if (epoch == timer_epoch_) self->on_timer();
    });
}

void asio_io::raise(std::exception_ptr error) {
    // Posted: the drain finishes first, then the error leaves run().
    net::post(exec_, [error] { std::rethrow_exception(error); });
}

void asio_io::contract_violation(const std::string& what) {
    throw std::logic_error("berth asio: " + what);
}

void asio_io::wait_readable() {
    // An error of the wait itself shows up again in accept(2), where the core
    // classifies it.
    watch_.async_wait(net::posix::descriptor_base::wait_read,
                      [self = engine().self()](const boost::system::error_code&) {
                          self->on_listener_readable();
                      });
}

void asio_io::close_listener() {
    // release() cancels the wait and hands the descriptor back without closing it:
    // the listener closes it (and removes its file if asked to).
    if (watch_.is_open()) static_cast<void>(watch_.release());
    close_listening_socket();
    engine().on_listener_closed();
}

std::unique_ptr<engine::stream_io> asio_io::adopt(engine::connection& c,
                                                  core::socket_handle socket) {
    return make_stream(exec_, c, listening().family(), static_cast<int>(socket));
}

void asio_io::start_native_handler(engine::connection& c) {
    const std::shared_ptr<engine::server> self = engine().self();
    const core::connection_id id = c.id();
    net::awaitable<void> body;
    try {
        body = native_(c.peer(), socket_of(*c.io()));
    } catch (...) {
        self->on_native_handler_done(id, std::current_exception());  // failed at once
        return;
    }
    net::co_spawn(exec_, std::move(body),
                  [self, id](std::exception_ptr e) { self->on_native_handler_done(id, e); });
}

}  // namespace berth::asio::detail
