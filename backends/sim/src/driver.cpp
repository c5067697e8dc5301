// The sim backend's execution of the core's actions (core/include/berth/core/
// action.hpp). User code (handlers, hooks, completions) runs from world events,
// never from inside the call that triggered it, except a handler's first slice,
// which starts inside start_handler so that no handler can start after close
// has returned.
#include <cerrno>
#include <cstring>
#include <utility>

#include "berth/core/detail/assert.hpp"
#include "server_impl.hpp"

namespace berth::sim {

std::uint64_t connection_key(core::connection_id id) {
    return (static_cast<std::uint64_t>(id.generation) << 32) | id.index;
}

namespace {

// A drain that does not end is a core bug; the bound turns a hang into a failure.
constexpr int drain_actions_max = 1'000'000;

}  // namespace

void connection_record::on_task_done() noexcept {
    server_impl* s = owner;
    const core::connection_id i = id;
    s->w.post(0, [s, i] { s->on_handler_done(i); });
}

server_impl::server_impl(world& wd, std::string listen, const core::options& opts,
                         sock_handler sock, stream_handler stream, server_hooks h)
    : w(wd),
      listen_address(std::move(listen)),
      core(opts),
      sock_fn(std::move(sock)),
      stream_fn(std::move(stream)),
      hooks(std::move(h)) {}

void server_impl::open() {
    const kernel::listen_result r = w.net().listen(listen_address, core.opts().backlog);
    if (r.error != 0) {
        throw creation_error("listen on " + listen_address + ": " + std::strerror(r.error) +
                             " (errno " + std::to_string(r.error) + ")");
    }
    listener = r.handle;
    bound_address = r.address;
    if (core.opts().on_accept_exhaustion == core::exhaustion_mode::shed) {
        reserve = w.net().open_reserve();
    }
    drain();
}

// --- Feeding and draining -----------------------------------------------------------

void server_impl::feed(const core::event& ev) {
    ++events;
    const core::event_error error = core.handle(ev, w.now_ns());
    if (error != core::event_error::none) {
        // The driver broke the contract: a bug in the simulator, never ignored.
        w.fail(std::string("the core refused an event (variant index ") +
               std::to_string(ev.index()) + "): " + core::to_string(error));
        return;
    }
    if (!draining) drain();
}

void server_impl::drain() {
    draining = true;
    for (int i = 0; i < drain_actions_max; ++i) {
        const core::action a = core.poll();
        if (const auto* idle = std::get_if<core::actions::idle>(&a)) {
            draining = false;
            after_drain(idle->deadline_ns);
            return;
        }
        execute(a);
    }
    draining = false;
    w.fail("the core did not become idle within " + std::to_string(drain_actions_max) + " actions");
}

void server_impl::after_drain(time_ns deadline_ns) {
    // Shedding's reserve comes back once the batch's sockets are closed.
    if (core.opts().on_accept_exhaustion == core::exhaustion_mode::shed && reserve == 0 &&
        core.listener() == core::listener_state::open) {
        reserve = w.net().open_reserve();
    }
    // One timer, at the core's latest deadline.
    if (deadline_ns != timer_at_ns) {
        timer_at_ns = deadline_ns;
        const std::uint64_t epoch = ++timer_epoch;
        if (deadline_ns != core::no_deadline_ns) {
            w.post_at(std::max(deadline_ns, w.now_ns()), [this, epoch] {
                if (epoch != timer_epoch) return;
                timer_at_ns = core::no_deadline_ns;
                feed(core::events::timer_fired{});
            });
        }
    }
    const std::uint64_t counters = (static_cast<std::uint64_t>(core.num_connections()) << 40) ^
                                   (static_cast<std::uint64_t>(w.net().fds_in_use()) << 20) ^
                                   w.net().queue_length(listener);
    if (counters != last_counters) {
        last_counters = counters;
        w.tracer().record(w.now_ns(), trace_kind::counters, core.num_connections(),
                          w.net().fds_in_use(), w.net().queue_length(listener));
    }
}

void server_impl::execute(const core::action& a) {
    using namespace core::actions;
    if (const auto* x = std::get_if<wait_readable>(&a)) {
        static_cast<void>(x);
        if (waiting_readable || in_batch) w.fail("an accept step was started twice");
        waiting_readable = true;
        const std::uint64_t epoch = ++readable_epoch;
        w.net().wait_readable(listener, [this, epoch] {
            if (epoch != readable_epoch || !waiting_readable) return;
            waiting_readable = false;
            w.tracer().record(w.now_ns(), trace_kind::listener_readable,
                              w.net().queue_length(listener));
            feed(core::events::listener_readable{});
        });
    } else if (const auto* b = std::get_if<accept_batch>(&a)) {
        run_accept_batch(*b);
    } else if (const auto* s = std::get_if<core::actions::start_handler>(&a)) {
        start_handler(*s);
    } else if (const auto* c = std::get_if<core::actions::close_socket>(&a)) {
        close_socket(*c);
    } else if (const auto* d = std::get_if<close_dropped_socket>(&a)) {
        w.tracer().record(w.now_ns(), trace_kind::dropped_close, d->socket);
        w.net().close(d->socket);
    } else if (std::holds_alternative<close_listener>(a)) {
        w.tracer().record(w.now_ns(), trace_kind::listener_close);
        waiting_readable = false;
        ++readable_epoch;
        w.net().close(listener);
        if (reserve != 0) {
            w.net().close(reserve);
            reserve = 0;
        }
        w.post(0, [this] {
            w.tracer().record(w.now_ns(), trace_kind::listener_closed);
            feed(core::events::listener_closed{});
        });
    } else if (const auto* r = std::get_if<release_connection>(&a)) {
        release(*r);
    } else if (const auto* n = std::get_if<notice>(&a)) {
        w.tracer().record(w.now_ns(), trace_kind::notice, static_cast<std::uint64_t>(n->kind),
                          static_cast<std::uint64_t>(n->error_value));
        if (hooks.on_notice) {
            w.post(0, [fn = hooks.on_notice, copy = *n] { fn(copy); });
        }
    } else if (const auto* e = std::get_if<raise_accept_error>(&a)) {
        w.tracer().record(w.now_ns(), trace_kind::raised, 2,
                          static_cast<std::uint64_t>(e->error_value));
        w.raise(std::make_exception_ptr(accept_error(e->error_value)));
    } else if (std::holds_alternative<complete_close>(a)) {
        w.tracer().record(w.now_ns(), trace_kind::complete_close);
        close_fired = true;
        fire(close_callbacks);
    } else if (std::holds_alternative<complete_handlers_finished>(a)) {
        w.tracer().record(w.now_ns(), trace_kind::complete_handlers);
        handlers_fired = true;
        fire(handlers_callbacks);
    } else {
        w.fail("the core emitted an action the sim does not know");
    }
}

void server_impl::fire(std::vector<std::function<void()>>& callbacks) {
    for (std::function<void()>& cb : callbacks)
        w.post(0, std::move(cb));
    callbacks.clear();
}

// --- Accepting -------------------------------------------------------------------------

void server_impl::run_accept_batch(const core::actions::accept_batch& a) {
    if (in_batch || waiting_readable) w.fail("an accept batch started while one was outstanding");
    in_batch = true;
    w.tracer().record(w.now_ns(), trace_kind::accept_batch, a.max_sockets, a.shed ? 1 : 0);
    if (a.shed && reserve != 0) {
        w.net().close(reserve);
        reserve = 0;
    }
    for (std::uint32_t i = 0; i < a.max_sockets && core.accept_batch_wants_more(); ++i) {
        const kernel::accept_result r = w.net().accept(listener);
        if (r.error == 0 && a.shed) {
            // Closed before the next accept: the one freed descriptor sheds the queue.
            w.tracer().record(w.now_ns(), trace_kind::dropped_close, r.handle, 1);
            w.net().close(r.handle);
            feed(core::events::socket_shed{});
        } else if (r.error == 0) {
            w.tracer().record(w.now_ns(), trace_kind::accepted, r.handle);
            feed(core::events::socket_accepted{r.handle});
        } else {
            w.tracer().record(w.now_ns(), trace_kind::accept_error,
                              static_cast<std::uint64_t>(r.error), r.injected ? 1 : 0);
            feed(core::events::accept_failed{r.error});
        }
    }
    in_batch = false;
    w.tracer().record(w.now_ns(), trace_kind::batch_done);
    feed(core::events::batch_done{});
}

// --- Connections -----------------------------------------------------------------------

connection_record* server_impl::find(core::connection_id id) {
    if (id.index >= records.size()) return nullptr;
    connection_record* r = records[id.index].get();
    return r != nullptr && r->id == id ? r : nullptr;
}

void server_impl::start_handler(const core::actions::start_handler& a) {
    if (close_returned) w.fail("a handler was started after close had returned");
    const std::uint32_t endpoint = w.net().endpoint_of(a.socket);
    if (endpoint == nil) return;  // the failed check is recorded
    if (records.size() <= a.id.index) records.resize(a.id.index + 1);
    if (records[a.id.index] != nullptr) w.fail("a connection slot was started twice");
    records[a.id.index] = std::make_unique<connection_record>();
    ++live_records;
    connection_record& r = *records[a.id.index];
    r.owner = this;
    r.id = a.id;
    r.handle = a.socket;
    r.endpoint = endpoint;
    r.peer = socket(w, endpoint).peer_address();
    w.tracer().record(w.now_ns(), trace_kind::handler_start, connection_key(a.id), a.socket);
    try {
        if (stream_fn) {
            const core::options& o = core.opts();
            r.tracker.emplace(o.buffer_age_limit_ns, o.final_flush_timeout_ns);
            r.rd.emplace(socket(w, endpoint));
            r.wr.emplace(&r);
            r.body = stream_fn(r.peer, *r.rd, *r.wr);
        } else {
            r.body = sock_fn(r.peer, socket(w, endpoint));
        }
    } catch (...) {
        // The handler failed before it could return its task: the same as failing
        // inside it.
        decide(r, std::current_exception());
        const core::connection_id id = a.id;
        w.post(0, [this, id] { on_handler_done(id); });
        return;
    }
    r.body.start(&r);
}

void server_impl::decide(connection_record& r, std::exception_ptr error) {
    if (r.result_decided) return;
    r.result_decided = true;
    r.error = std::move(error);
}

void server_impl::on_handler_done(core::connection_id id) {
    connection_record* r = find(id);
    if (r == nullptr) {
        w.fail("a handler ended for a connection the driver no longer knows");
        return;
    }
    std::exception_ptr error;
    if (r->body.valid()) {
        error = r->body.error();
        r->body = task<>();  // the frame is destroyed here, never inside its own end
    } else {
        error = r->error;  // the handler threw before returning its task
    }
    decide(*r, error);
    w.tracer().record(w.now_ns(), trace_kind::handler_end, connection_key(id), error ? 1 : 0);
    feed(core::events::handler_returned{id, error ? core::outcome::error : core::outcome::ok});
}

void server_impl::close_socket(const core::actions::close_socket& a) {
    w.tracer().record(w.now_ns(), trace_kind::socket_close, connection_key(a.id),
                      a.handler_started ? 1 : 0);
    if (!a.handler_started) {
        w.net().close(a.socket);
        const core::connection_id id = a.id;
        w.post(0, [this, id] {
            w.tracer().record(w.now_ns(), trace_kind::socket_closed, connection_key(id));
            feed(core::events::socket_closed{id});
        });
        return;
    }
    connection_record* r = find(a.id);
    if (r == nullptr) {
        w.fail("close_socket for a connection whose handler never started");
        return;
    }
    r->closing = true;
    if (r->tracker) {
        r->tracker->begin_close(w.now_ns());
        flush(*r);  // evaluates the writer, which closes when it is done
    } else {
        finish_close(*r);
    }
}

void server_impl::finish_close(connection_record& r) {
    if (r.fd_closed) return;
    r.fd_closed = true;
    ++r.check_epoch;
    w.net().close(r.handle);
    const core::connection_id id = r.id;
    w.post(0, [this, id] {
        w.tracer().record(w.now_ns(), trace_kind::socket_closed, connection_key(id));
        feed(core::events::socket_closed{id});
    });
}

void server_impl::release(const core::actions::release_connection& a) {
    w.tracer().record(w.now_ns(), trace_kind::release, connection_key(a.id),
                      static_cast<std::uint64_t>(a.result), static_cast<std::uint64_t>(a.policy));
    connection_record* r = find(a.id);
    if (r == nullptr) {
        w.fail("release of a connection the driver does not know");
        return;
    }
    std::exception_ptr error = r->error;
    if (a.result == core::outcome::error && !error) {
        w.fail("an error result without an error");
    }
    const std::string peer = r->peer;
    records[a.id.index].reset();
    --live_records;
    switch (a.policy) {
        case core::policy_action::none:
        case core::policy_action::ignore: break;
        case core::policy_action::call:
            w.post(0, [this, peer, error] {
                try {
                    hooks.on_handler_error(peer, error);
                } catch (...) {
                    // SEMANTICS.md 5.3: a throwing `call` closes the server first.
                    w.tracer().record(w.now_ns(), trace_kind::raised, 3);
                    feed(core::events::close_requested{false, core::no_deadline_ns});
                    w.raise(std::current_exception());
                }
            });
            break;
        case core::policy_action::raise:
            w.tracer().record(w.now_ns(), trace_kind::raised, 1);
            w.raise(error);
            break;
    }
}

// --- The writer of `create` ---------------------------------------------------------

void server_impl::writer_write(connection_record& r, std::string_view data) {
    if (r.fd_closed || !r.tracker->on_buffered(w.now_ns(), data.size())) return;
    r.out.append(data);
    flush(r);
}

void server_impl::flush(connection_record& r) {
    if (r.fd_closed) return;
    while (r.out_head < r.out.size() && r.tracker->bytes_waiting() > 0) {
        const std::string_view pending(r.out.data() + r.out_head, r.out.size() - r.out_head);
        const io_result io = w.net().write(r.endpoint, pending);
        if (io.bytes > 0) {
            r.out_head += io.bytes;
            r.tracker->on_flushed(w.now_ns(), io.bytes);
        }
        if (io.error == EAGAIN) {
            if (!r.waiting_room) {
                r.waiting_room = true;
                const core::connection_id id = r.id;
                w.net().notify_writable(r.endpoint, [this, id] {
                    if (connection_record* c = find(id)) {
                        c->waiting_room = false;
                        flush(*c);
                    }
                });
            }
            break;
        }
        if (io.error != 0) {
            r.tracker->on_write_error(io.error);
            break;
        }
    }
    if (r.tracker->bytes_waiting() == 0) {
        r.out.clear();
        r.out_head = 0;
    } else if (r.out_head > 65536) {
        r.out.erase(0, r.out_head);
        r.out_head = 0;
    }
    evaluate_writer(r);
}

void server_impl::evaluate_writer(connection_record& r) {
    if (r.fd_closed) return;
    const core::writer_status status = r.tracker->check(w.now_ns());
    switch (status) {
        case core::writer_status::open:
        case core::writer_status::final_flush: {
            const time_ns deadline = r.tracker->next_deadline_ns();
            if (deadline != r.check_at_ns) {
                r.check_at_ns = deadline;
                const std::uint64_t epoch = ++r.check_epoch;
                if (deadline != core::no_deadline_ns) {
                    const core::connection_id id = r.id;
                    w.post_at(std::max(deadline, w.now_ns()), [this, id, epoch] {
                        connection_record* c = find(id);
                        if (c == nullptr || c->check_epoch != epoch) return;
                        c->check_at_ns = core::no_deadline_ns;
                        evaluate_writer(*c);
                    });
                }
            }
            return;
        }
        case core::writer_status::too_old:
        case core::writer_status::failed:
            if (!r.writer_reported) {
                r.writer_reported = true;
                const std::string message =
                    status == core::writer_status::too_old
                        ? "writer buffer too old: " +
                              std::to_string(r.tracker->age_at_failure_ns() / core::ns_per_ms) +
                              " ms old, " + std::to_string(r.tracker->bytes_at_failure()) +
                              " bytes waiting"
                        : std::string("write failed: ") + std::strerror(r.tracker->error_value());
                decide(r, std::make_exception_ptr(writer_error(message)));
                w.tracer().record(w.now_ns(), trace_kind::writer_failed, connection_key(r.id),
                                  r.tracker->bytes_at_failure());
                feed(core::events::writer_failed{r.id});
            }
            break;
        case core::writer_status::peer_gone:
            if (!r.writer_reported) {
                r.writer_reported = true;
                decide(r, nullptr);
                w.tracer().record(w.now_ns(), trace_kind::peer_gone, connection_key(r.id),
                                  static_cast<std::uint64_t>(r.tracker->error_value()));
                feed(core::events::peer_gone{r.id});
            }
            break;
        case core::writer_status::ready_to_close: break;
    }
    // A stopped writer, or one done with its final flush, closes without waiting.
    if (r.closing) finish_close(r);
}

// --- The user's calls ------------------------------------------------------------------

void server_impl::close(bool close_existing, time_ns drain_deadline_ns,
                        std::function<void()> on_closed) {
    ++closes;
    w.tracer().record(w.now_ns(), trace_kind::close_called, close_existing ? 1 : 0);
    if (on_closed) {
        if (close_fired) {
            w.post(0, std::move(on_closed));
        } else {
            close_callbacks.push_back(std::move(on_closed));
        }
    }
    feed(core::events::close_requested{close_existing, drain_deadline_ns});
    close_returned = true;
}

void server_impl::close_finished(std::function<void()> callback) {
    if (close_fired) {
        w.post(0, std::move(callback));
    } else {
        close_callbacks.push_back(std::move(callback));
    }
}

void server_impl::handlers_finished(std::function<void()> callback) {
    if (handlers_fired) {
        w.post(0, std::move(callback));
    } else {
        handlers_callbacks.push_back(std::move(callback));
    }
}

void server_impl::set_drop(bool drop) {
    w.tracer().record(w.now_ns(), trace_kind::drop_set, drop ? 1 : 0);
    feed(core::events::drop_mode_set{drop});
}

// --- Checks after every step -------------------------------------------------------------

void server_impl::check_after_step() {
    if (const char* broken = core.check_invariant()) {
        w.fail(std::string("core invariant: ") + broken);
    }
    if (core.num_connections() > core.opts().max_connections) {
        w.fail("num_connections exceeds max_connections");
    }
    if (live_records > core.num_connections()) {
        w.fail("the driver holds more connections than the core counts");
    }
    if (in_batch || draining) w.fail("a step ended inside an accept batch or a drain");
    if (waiting_readable != (core.accept_step() == core::accept_phase::waiting_readable)) {
        w.fail("the driver and the core disagree on the outstanding accept step");
    }
}

}  // namespace berth::sim
