// The Asio backend's execution of the core's actions (core/include/berth/core/
// action.hpp) and its reports back. User code (error hooks, notices, completions,
// raised errors) is posted, never run inside the drain, so that a user's call
// never finds the server half way through an action. A handler's first slice may
// run inside start_handler (co_spawn dispatches); a call it makes on the server
// is then handled without a nested drain (rule 3 of docs/architecture.md).
#include <cerrno>
#include <chrono>
#include <netinet/in.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "berth/core/detail/assert.hpp"
#include "berth/driver/driver_invariant.hpp"
#include "berth/driver/writer_verdict.hpp"
#include "berth/posix/close_socket.hpp"
#include "server_impl.hpp"

namespace berth::asio::detail {

namespace net = boost::asio;

namespace {

// A drain that does not end is a core bug; the bound turns a hang into a failure.
constexpr int drain_actions_max = 1'000'000;

// A due completion posts its handler (pending_completion::complete): it never runs
// inside the call that registered it or made it due.
void run_completion(std::unique_ptr<pending_completion> completion) {
    completion->complete();
}

int errno_of(const boost::system::error_code& ec) {
    if (ec.category() == boost::system::system_category()) return ec.value();
    if (ec == net::error::eof) return EPIPE;
    return EIO;
}

}  // namespace

server_impl::server_impl(const executor& ex, posix::listener l, const core::options& opts,
                         sock_handler sock, stream_handler stream, server_hooks h)
    : exec(ex),
      listen(std::move(l)),
      listen_watch(ex),
      core(opts),
      sock_fn(std::move(sock)),
      stream_fn(std::move(stream)),
      hooks(std::move(h)),
      accepting(opts.on_accept_exhaustion),
      timer_(ex) {
    boost::system::error_code ec;
    listen_watch.assign(listen.fd(), ec);
    if (ec) throw std::system_error(ec, "cannot watch the listening socket");
}

server_impl::~server_impl() {
    // The listener owns the descriptor; Asio only watches it.
    if (listen_watch.is_open()) static_cast<void>(listen_watch.release());
}

core::time_ns server_impl::now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

void server_impl::start() {
    drain();
}

// --- Feeding and draining -----------------------------------------------------------

void server_impl::feed(const core::event& ev) {
    const core::event_error error = core.handle(ev, now_ns());
    if (error != core::event_error::none) {
        // The driver broke the contract: a bug here, never to be run on.
        throw std::logic_error(std::string("berth asio: the core refused an event (variant ") +
                               std::to_string(ev.index()) + "): " + core::to_string(error));
    }
    if (!draining_) drain();
}

void server_impl::drain() {
    draining_ = true;
    struct reset {
        bool& flag;
        ~reset() { flag = false; }
    } guard{draining_};
    for (int i = 0; i < drain_actions_max; ++i) {
        const core::action a = core.poll();
        if (const auto* idle = std::get_if<core::actions::idle>(&a)) {
            arm_timer(idle->deadline_ns);
            return;
        }
        execute(a);
    }
    throw std::logic_error("berth asio: the core did not become idle");
}

void server_impl::arm_timer(core::time_ns deadline_ns) {
    if (deadline_ns == timer_at_ns_) return;
    timer_at_ns_ = deadline_ns;
    const std::uint64_t epoch = ++timer_epoch_;
    if (deadline_ns == core::no_deadline_ns) {
        timer_.cancel();
        return;
    }
    timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline_ns)));
    timer_.async_wait([self = shared_from_this(), epoch](const boost::system::error_code&) {
        // A late or cancelled wait of an older arming is not this deadline.
        if (epoch != self->timer_epoch_) return;
        self->timer_at_ns_ = core::no_deadline_ns;
        self->feed(core::events::timer_fired{});
    });
}

void server_impl::execute(const core::action& a) {
    namespace act = core::actions;
    if (std::holds_alternative<act::wait_readable>(a)) {
        wait_readable();
    } else if (const auto* b = std::get_if<act::accept_batch>(&a)) {
        accepting.run_batch(listen.fd(), core, *b, now_ns());
    } else if (const auto* s = std::get_if<act::start_handler>(&a)) {
        start_handler(*s);
    } else if (const auto* c = std::get_if<act::close_socket>(&a)) {
        close_socket(*c);
    } else if (const auto* d = std::get_if<act::close_dropped_socket>(&a)) {
        accepting.close_dropped(d->socket);
    } else if (std::holds_alternative<act::close_listener>(a)) {
        close_listener();
    } else if (const auto* r = std::get_if<act::release_connection>(&a)) {
        release(*r);
    } else if (const auto* n = std::get_if<act::notice>(&a)) {
        if (hooks.on_notice) net::post(exec, [fn = hooks.on_notice, copy = *n] { fn(copy); });
    } else if (const auto* e = std::get_if<act::raise_accept_error>(&a)) {
        // Posted: the drain finishes first, then the error leaves run().
        net::post(exec, [value = e->error_value] { throw accept_error(value); });
    } else if (std::holds_alternative<act::complete_close>(a)) {
        completions_.complete(completion_kind::close, run_completion);
    } else if (std::holds_alternative<act::complete_handlers_finished>(a)) {
        completions_.complete(completion_kind::handlers_finished, run_completion);
    } else {
        throw std::logic_error("berth asio: an action this driver does not know");
    }
}

// --- The listening socket ------------------------------------------------------------

void server_impl::wait_readable() {
    BERTH_ASSERT(!waiting_readable_);
    waiting_readable_ = true;
    const std::uint64_t epoch = ++wait_epoch_;
    listen_watch.async_wait(net::posix::descriptor_base::wait_read,
                            [self = shared_from_this(), epoch](const boost::system::error_code&) {
                                // After close_listener the wait is void, whatever it says: a
                                // closed listener is never reported readable.
                                if (epoch != self->wait_epoch_ || !self->waiting_readable_) return;
                                self->waiting_readable_ = false;
                                // An error of the wait itself shows up again in accept(2),
                                // where the core classifies it.
                                self->feed(core::events::listener_readable{});
                            });
}

void server_impl::close_listener() {
    waiting_readable_ = false;
    ++wait_epoch_;
    // release() cancels the wait and hands the descriptor back without closing it:
    // the listener closes it (and removes its file if asked to).
    if (listen_watch.is_open()) static_cast<void>(listen_watch.release());
    listen.close();
    accepting.release_reserve();
    feed(core::events::listener_closed{});
}

// --- Connections -----------------------------------------------------------------------

void server_impl::start_handler(const core::actions::start_handler& a) {
    auto c = std::make_shared<connection>(exec, *this);
    connections.place(a.id, c);
    c->id = a.id;
    c->peer = accepting.take_peer(a.socket);
    const int family = listen.family();
    const net::generic::stream_protocol protocol(family, family == AF_UNIX ? 0 : IPPROTO_TCP);
    net::awaitable<void> body;
    try {
        boost::system::error_code ec;
        c->sock.assign(protocol, static_cast<int>(a.socket), ec);
        if (ec) {
            posix::close_connection_socket(static_cast<int>(a.socket));
            c->fd_closed = true;
            throw std::system_error(ec, "cannot hand the accepted socket to Asio");
        }
        if (stream_fn) {
            c->stream.emplace(exec, core.opts());
            c->rd.emplace(*c);
            c->wr.emplace(*c);
            body = stream_fn(c->peer, *c->rd, *c->wr);
        } else {
            body = sock_fn(c->peer, c->sock);
        }
    } catch (...) {
        // The handler failed before it returned its coroutine: the same as failing
        // inside it. Reported later, as a coroutine's end would be.
        net::post(exec, [self = shared_from_this(), id = a.id, e = std::current_exception()] {
            self->on_handler_done(id, e);
        });
        return;
    }
    net::co_spawn(exec, std::move(body),
                  [self = shared_from_this(), id = a.id](std::exception_ptr e) {
                      self->on_handler_done(id, std::move(e));
                  });
}

void server_impl::decide(connection& c, std::exception_ptr error) {
    if (c.result_decided) return;
    c.result_decided = true;
    c.error = std::move(error);
}

void server_impl::on_handler_done(core::connection_id id, std::exception_ptr error) {
    connection* c = connections.find(id);
    BERTH_ASSERT(c != nullptr);  // released only after handler_returned
    const bool failed = error != nullptr;
    decide(*c, std::move(error));
    feed(core::events::handler_returned{id, failed ? core::outcome::error : core::outcome::ok});
}

void server_impl::close_socket(const core::actions::close_socket& a) {
    if (!a.handler_started) {
        static_cast<void>(accepting.take_peer(a.socket));
        posix::close_connection_socket(static_cast<int>(a.socket));
        feed(core::events::socket_closed{a.id});
        return;
    }
    connection* c = connections.find(a.id);
    BERTH_ASSERT(c != nullptr);
    c->closing = true;
    if (c->fd_closed) {  // Asio never took the socket (start_handler failed)
        feed(core::events::socket_closed{c->id});
    } else if (c->stream) {
        c->stream->tracker.begin_close(now_ns());
        evaluate_writer(*c);  // closes now, or when the final flush is done
    } else {
        finish_close(*c);
    }
}

void server_impl::finish_close(connection& c) {
    if (c.fd_closed) return;
    c.fd_closed = true;
    if (c.stream) {
        ++c.stream->check_epoch;
        c.stream->check_timer.cancel();
    }
    // Errors are ignored: the peer may be gone, or the handler closed the socket.
    boost::system::error_code ignored;
    if (c.sock.is_open()) {
        c.sock.shutdown(net::socket_base::shutdown_both, ignored);
        c.sock.close(ignored);
    }
    feed(core::events::socket_closed{c.id});
}

void server_impl::release(const core::actions::release_connection& a) {
    const std::shared_ptr<connection> c = connections.take(a.id);
    std::exception_ptr error = c->error;
    BERTH_ASSERT(a.result == core::outcome::ok || error != nullptr);
    switch (a.policy) {
        case core::policy_action::none:
        case core::policy_action::ignore: break;
        case core::policy_action::call:
            net::post(exec, [self = shared_from_this(), peer = c->peer, error] {
                try {
                    self->hooks.on_handler_error(peer, error);
                } catch (...) {
                    // SEMANTICS.md 5.3: a throwing `call` closes the server first.
                    self->feed(core::events::close_requested{false, core::no_deadline_ns});
                    throw;
                }
            });
            break;
        case core::policy_action::raise:
            // Posted: the drain finishes first; the core is already closing.
            net::post(exec, [error] { std::rethrow_exception(error); });
            break;
    }
}

// --- The writer of `create` ---------------------------------------------------------

bool server_impl::writer_accepts(const connection& c) const {
    return !c.fd_closed && c.stream->tracker.accepts_writes();
}

void server_impl::writer_write(connection& c, std::string_view data) {
    BERTH_ASSERT(c.stream.has_value());
    if (data.empty() || c.fd_closed || !c.stream->tracker.on_buffered(now_ns(), data.size())) {
        return;
    }
    c.stream->out.append(data);
    if (!c.stream->write_pending) start_write(connections.shared(c.id));
    evaluate_writer(c);
}

void server_impl::start_write(const std::shared_ptr<connection>& c) {
    stream_state& s = *c->stream;
    BERTH_ASSERT(!s.write_pending);
    const std::span<char> next = s.out.next();
    if (next.empty()) return;
    s.write_pending = true;
    c->sock.async_write_some(
        net::buffer(next.data(), next.size()),
        [self = shared_from_this(), c](const boost::system::error_code& ec, std::size_t bytes) {
            self->on_written(*c, ec, bytes);
        });
}

void server_impl::on_written(connection& c, const boost::system::error_code& ec,
                             std::size_t bytes) {
    stream_state& s = *c.stream;
    s.write_pending = false;
    if (c.fd_closed) return;  // closed under the write: nothing left to account for
    if (bytes > 0) {
        s.out.sent(bytes);
        s.tracker.on_flushed(now_ns(), bytes);
    }
    if (ec) {
        s.tracker.on_write_error(errno_of(ec));
    } else if (s.tracker.bytes_waiting() > 0) {
        start_write(connections.shared(c.id));
    }
    evaluate_writer(c);
}

void server_impl::arm_writer_check(connection& c, core::time_ns deadline_ns) {
    stream_state& s = *c.stream;
    s.check_at_ns = deadline_ns;
    const std::uint64_t epoch = ++s.check_epoch;
    if (deadline_ns == core::no_deadline_ns) {
        s.check_timer.cancel();
        return;
    }
    s.check_timer.expires_at(
        std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline_ns)));
    s.check_timer.async_wait([self = shared_from_this(), cp = connections.shared(c.id),
                              epoch](const boost::system::error_code&) {
        if (cp->fd_closed || cp->stream->check_epoch != epoch) return;
        cp->stream->check_at_ns = core::no_deadline_ns;
        self->evaluate_writer(*cp);
    });
}

void server_impl::evaluate_writer(connection& c) {
    if (c.fd_closed) return;
    stream_state& s = *c.stream;
    const driver::writer_verdict verdict =
        driver::judge_writer(s.tracker, s.writer_reported, c.id, now_ns());
    if (verdict.waiting) {
        if (verdict.check_at_ns != s.check_at_ns) arm_writer_check(c, verdict.check_at_ns);
        return;
    }
    if (verdict.report) {
        decide(c, verdict.error);
        feed(*verdict.report);
    }
    // A stopped writer, or one done with its final flush, closes without waiting.
    if (c.closing) finish_close(c);
}

// --- The user's calls ------------------------------------------------------------------

void server_impl::request_close(bool close_existing, core::time_ns drain_deadline_ns) {
    feed(core::events::close_requested{close_existing, drain_deadline_ns});
}

void server_impl::add_completion(completion_kind kind,
                                 std::unique_ptr<pending_completion> completion) {
    completions_.add(kind, std::move(completion), run_completion);
}

void server_impl::set_drop(bool drop) {
    feed(core::events::drop_mode_set{drop});
}

const char* server_impl::check_invariant() const {
    if (const char* broken = driver::check_driver_invariant(
            core, waiting_readable_, driver::connections_held(connections))) {
        return broken;
    }
    if (draining_) return driver::drain_in_progress;
    return nullptr;
}

void register_completion(const std::shared_ptr<server_impl>& impl, completion_kind kind,
                         std::unique_ptr<pending_completion> completion) {
    net::dispatch(impl->exec, [impl, kind, c = std::move(completion)]() mutable {
        impl->add_completion(kind, std::move(c));
    });
}

executor executor_of(const server_impl& impl) {
    return impl.exec;
}

}  // namespace berth::asio::detail
