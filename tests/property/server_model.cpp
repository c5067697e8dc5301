#include "server_model.hpp"

#include <algorithm>
#include <cerrno>

#include "action_text.hpp"

namespace berth::test::model {

// The table of SEMANTICS.md section 6, copied by hand from the spec, not from the core.
failure_class classify(int error_value) {
    static const std::map<int, failure_class> table = {
        {EAGAIN, failure_class::nothing_there},
        {EWOULDBLOCK, failure_class::nothing_there},
        {EINTR, failure_class::nothing_there},
        {ECONNABORTED, failure_class::per_connection},
        {EPROTO, failure_class::per_connection},
        {EPERM, failure_class::per_connection},
        {ENETDOWN, failure_class::per_connection},
        {ENOPROTOOPT, failure_class::per_connection},
        {EHOSTDOWN, failure_class::per_connection},
        {ENONET, failure_class::per_connection},
        {EHOSTUNREACH, failure_class::per_connection},
        {EOPNOTSUPP, failure_class::per_connection},
        {ENETUNREACH, failure_class::per_connection},
        {EMFILE, failure_class::out_of_resources},
        {ENFILE, failure_class::out_of_resources},
        {ENOBUFS, failure_class::out_of_resources},
        {ENOMEM, failure_class::out_of_resources},
    };
    const auto found = table.find(error_value);
    return found == table.end() ? failure_class::fatal : found->second;
}

const std::vector<int>& accept_error_values() {
    static const std::vector<int> values = {
        EAGAIN, EINTR,        ECONNABORTED, EPROTO,      EPERM,  ENETDOWN, ENOPROTOOPT, EHOSTDOWN,
        ENONET, EHOSTUNREACH, EOPNOTSUPP,   ENETUNREACH, EMFILE, ENFILE,   ENOBUFS,     ENOMEM,
        EBADF,  ENOTSOCK,     EINVAL,       EFAULT,      ENOENT, 0,        -1,          4242,
    };
    return values;
}

server_model::server_model(const core::options& options)
    : opts(options), drop(options.drop_incoming_connections) {}

prediction server_model::refuse(core::event_error error) {
    prediction p;
    p.error = error;
    return p;
}

prediction server_model::start() {
    prediction p;
    settle(p.actions);
    return p;
}

std::uint32_t server_model::free_slots() const {
    return opts.max_connections - static_cast<std::uint32_t>(live.size());
}

bool server_model::knows(socket_handle socket) const {
    return socket == 0 || live.count(socket) != 0 || gone.count(socket) != 0;
}

bool server_model::notice_due(time_ns last_ns) const {
    return last_ns == never_ns || server_now_ns - last_ns >= notice_every_ns;
}

time_ns server_model::next_deadline_ns() const {
    time_ns deadline = core::no_deadline_ns;
    // A drain deadline matters while some connection could still be closed by it.
    if (closed && !drained && !live.empty()) deadline = std::min(deadline, drain_at_ns);
    // A back-off matters while the loop would otherwise start a step.
    if (!closed && step == step_phase::none && back_off_until_ns > server_now_ns) {
        deadline = std::min(deadline, back_off_until_ns);
    }
    return deadline;
}

void server_model::enter(std::vector<std::string>& out) {
    server_now_ns = clock_ns;
    if (closed && !drained && drain_at_ns <= server_now_ns) drain(out);
}

void server_model::settle(std::vector<std::string>& out) {
    // The listener cannot close under a batch that still accepts on it.
    if (listener == listener_phase::close_wanted && step != step_phase::batch) {
        listener = listener_phase::closing;
        out.push_back(text::close_listener());
    }
    if (fatal_owed && listener != listener_phase::close_wanted) {
        out.push_back(text::raise_accept_error(*fatal_owed));
        fatal_owed.reset();
    }
    const bool held = std::any_of(live.begin(), live.end(),
                                  [](const auto& entry) { return entry.second.holds_close; });
    if (listener == listener_phase::closed && !close_fired && !held) {
        close_fired = true;
        out.push_back(text::complete_close());
    }
    if (close_fired && !finished_fired && live.empty()) {
        finished_fired = true;
        out.push_back(text::complete_handlers_finished());
    }
    if (step == step_phase::none && !closed && free_slots() > 0 &&
        server_now_ns >= back_off_until_ns) {
        step = step_phase::waiting;
        out.push_back(text::wait_readable());
    }
}

void server_model::close_socket(socket_handle socket, std::vector<std::string>& out) {
    connection& c = live.at(socket);
    c.socket = socket_phase::closing;
    out.push_back(text::close_socket(socket, c.handler != handler_phase::never_started));
}

void server_model::begin_close(bool close_existing, time_ns drain_deadline_ns,
                               std::vector<std::string>& out) {
    const bool first = !closed;
    if (first) {
        closed = true;
        listener = listener_phase::close_wanted;
        if (step == step_phase::waiting) step = step_phase::none;
        shed_next = false;
        // No handler starts after close.
        for (auto& [socket, c] : live) {
            if (c.handler != handler_phase::start_pending) continue;
            c.handler = handler_phase::never_started;
            ++stats.closed_after_close;
            close_socket(socket, out);
        }
    }
    if (close_existing) {
        for (auto& [socket, c] : live) {
            if (c.socket == socket_phase::closed) continue;
            if (c.socket == socket_phase::open) close_socket(socket, out);
            if (first) c.holds_close = true;
        }
    } else if (!drained) {
        drain_at_ns = std::min(drain_at_ns, drain_deadline_ns);
        if (drain_at_ns <= server_now_ns) drain(out);
    }
}

void server_model::drain(std::vector<std::string>& out) {
    drained = true;
    if (!live.empty()) out.push_back(text::notice(core::notice_kind::drain_deadline_reached, 0, 0));
    for (auto& [socket, c] : live) {
        if (c.socket == socket_phase::open) close_socket(socket, out);
    }
}

void server_model::decide(socket_handle socket, core::outcome result,
                          std::vector<std::string>& out) {
    connection& c = live.at(socket);
    if (c.result) return;
    c.result = result;
    if (c.socket == socket_phase::open) close_socket(socket, out);
}

void server_model::release(socket_handle socket, std::vector<std::string>& out) {
    const connection c = live.at(socket);
    if (c.late) {
        out.push_back(text::notice(core::notice_kind::late_handler_result, socket, 0));
    }
    core::policy_action policy = core::policy_action::none;
    if (*c.result == core::outcome::ok) {
        ++stats.handler_ok;
    } else {
        ++stats.handler_errors;
        switch (opts.on_handler_error) {
            case core::error_policy::raise: policy = core::policy_action::raise; break;
            case core::error_policy::ignore: policy = core::policy_action::ignore; break;
            case core::error_policy::call: policy = core::policy_action::call; break;
            case core::error_policy::unset: break;
        }
    }
    live.erase(socket);
    gone.insert(socket);
    out.push_back(text::release_connection(socket, *c.result, policy));
    if (policy == core::policy_action::raise) begin_close(false, core::no_deadline_ns, out);
}

prediction server_model::listener_readable() {
    if (step != step_phase::waiting) return refuse(core::event_error::readable_not_awaited);
    prediction p;
    enter(p.actions);
    step = step_phase::batch;
    shed = shed_next;
    shed_next = false;
    budget = shed ? opts.max_accepts_per_batch : std::min(opts.max_accepts_per_batch, free_slots());
    attempts = 0;
    ended = false;
    batch.clear();
    p.actions.push_back(text::accept_batch(budget, shed));
    settle(p.actions);
    return p;
}

// An accept result outside a batch, past its end, or of the wrong kind for the
// batch (a shed batch reports sockets as shed, an ordinary one as accepted).
std::optional<core::event_error> server_model::accept_refusal(bool shedding) const {
    if (step != step_phase::batch) return core::event_error::accept_not_requested;
    if (ended) return core::event_error::accept_batch_exhausted;
    if (shedding != shed) return core::event_error::shed_mismatch;
    return std::nullopt;
}

prediction server_model::socket_accepted() {
    if (const auto error = accept_refusal(false)) return refuse(*error);
    prediction p;
    enter(p.actions);
    batch.push_back(next_socket++);
    ++stats.accepted;
    back_off_next_ns = back_off_first_ns;
    if (++attempts == budget) ended = true;
    settle(p.actions);
    return p;
}

prediction server_model::socket_shed() {
    if (const auto error = accept_refusal(true)) return refuse(*error);
    prediction p;
    enter(p.actions);
    // The socket never reaches the core, but it was accepted, and it was shed.
    ++stats.accepted;
    ++stats.shed;
    back_off_next_ns = back_off_first_ns;
    if (++attempts == budget) ended = true;
    settle(p.actions);
    return p;
}

prediction server_model::accept_failed(int error_value) {
    if (step != step_phase::batch) return refuse(core::event_error::accept_not_requested);
    if (ended) return refuse(core::event_error::accept_batch_exhausted);
    prediction p;
    enter(p.actions);
    ++attempts;
    switch (classify(error_value)) {
        case failure_class::nothing_there:
            ++stats.nothing_there;
            ended = true;
            break;
        case failure_class::per_connection:
            ++stats.per_connection;
            if (attempts == budget) ended = true;
            break;
        case failure_class::out_of_resources:
            ++stats.out_of_resources;
            ended = true;
            if (notice_due(last_resources_notice_ns)) {
                last_resources_notice_ns = server_now_ns;
                p.actions.push_back(
                    text::notice(core::notice_kind::accept_resources_exhausted, 0, error_value));
            }
            if (opts.on_accept_exhaustion == core::exhaustion_mode::shed && !shed) {
                shed_next = true;
            } else {
                back_off_until_ns = server_now_ns + back_off_next_ns;
                back_off_next_ns = std::min(back_off_next_ns * 2, back_off_longest_ns);
                ++stats.back_off_pauses;
            }
            break;
        case failure_class::fatal:
            ++stats.fatal;
            ended = true;
            fatal_owed = error_value;
            begin_close(false, core::no_deadline_ns, p.actions);
            break;
    }
    settle(p.actions);
    return p;
}

void server_model::drop_batch(std::uint64_t& counter, std::vector<std::string>& out) {
    for (const socket_handle socket : batch)
        out.push_back(text::close_dropped_socket(socket));
    counter += batch.size();
}

prediction server_model::batch_done() {
    return finish_batch(std::nullopt);
}

prediction server_model::batch_done_then_close(bool close_existing) {
    return finish_batch(close_existing);
}

prediction server_model::finish_batch(std::optional<bool> close_in_first_handler) {
    if (step != step_phase::batch) return refuse(core::event_error::batch_not_started);
    prediction p;
    enter(p.actions);
    step = step_phase::none;
    ended = true;
    if (closed) {
        drop_batch(stats.closed_after_close, p.actions);
    } else if (drop) {
        drop_batch(stats.dropped, p.actions);
    } else if (!batch.empty()) {
        // Every connection of the batch holds its slot before any handler starts.
        for (const socket_handle socket : batch)
            live[socket].handler = handler_phase::start_pending;
        if (free_slots() == 0) {
            ++stats.times_at_limit;
            if (notice_due(last_at_limit_notice_ns)) {
                last_at_limit_notice_ns = server_now_ns;
                p.actions.push_back(text::notice(core::notice_kind::at_limit, 0, 0));
            }
        }
        for (const socket_handle socket : batch) {
            connection& c = live.at(socket);
            // A close from an earlier handler of this batch left this one unstarted.
            if (c.handler != handler_phase::start_pending) continue;
            c.handler = handler_phase::running;
            ++stats.handlers_started;
            p.actions.push_back(text::start_handler(socket));
            if (close_in_first_handler) {
                begin_close(*close_in_first_handler, core::no_deadline_ns, p.actions);
                close_in_first_handler.reset();
            }
        }
    }
    batch.clear();
    settle(p.actions);
    return p;
}

std::optional<core::event_error> server_model::check_connection(socket_handle socket) const {
    if (socket == 0) return core::event_error::unknown_connection;
    if (gone.count(socket) != 0) return core::event_error::stale_connection;
    return std::nullopt;
}

prediction server_model::forged_id() {
    return refuse(core::event_error::unknown_connection);
}

prediction server_model::handler_returned(socket_handle socket, core::outcome result) {
    if (const auto error = check_connection(socket)) return refuse(*error);
    connection& c = live.at(socket);
    if (c.handler != handler_phase::running) return refuse(core::event_error::handler_not_running);
    prediction p;
    enter(p.actions);
    c.handler = handler_phase::returned;
    if (c.result) {
        // Too late: the writer or the peer decided first (SEMANTICS.md section 5.2).
        c.late = true;
        ++stats.late_handler_results;
    } else {
        decide(socket, result, p.actions);
    }
    if (c.socket == socket_phase::closed) release(socket, p.actions);
    settle(p.actions);
    return p;
}

prediction server_model::writer_failed(socket_handle socket) {
    if (const auto error = check_connection(socket)) return refuse(*error);
    if (live.at(socket).handler == handler_phase::never_started) {
        return refuse(core::event_error::handler_not_running);
    }
    prediction p;
    enter(p.actions);
    decide(socket, core::outcome::error, p.actions);
    settle(p.actions);
    return p;
}

prediction server_model::peer_gone(socket_handle socket) {
    if (const auto error = check_connection(socket)) return refuse(*error);
    if (live.at(socket).handler == handler_phase::never_started) {
        return refuse(core::event_error::handler_not_running);
    }
    prediction p;
    enter(p.actions);
    // A departed client is the normal end of a connection, not an error.
    decide(socket, core::outcome::ok, p.actions);
    settle(p.actions);
    return p;
}

prediction server_model::socket_closed(socket_handle socket) {
    if (const auto error = check_connection(socket)) return refuse(*error);
    connection& c = live.at(socket);
    if (c.socket != socket_phase::closing) {
        return refuse(core::event_error::socket_close_not_requested);
    }
    prediction p;
    enter(p.actions);
    c.socket = socket_phase::closed;
    c.holds_close = false;
    // A descriptor came back: a back-off for lack of descriptors ends now.
    back_off_until_ns = std::min(back_off_until_ns, server_now_ns);
    if (c.handler == handler_phase::never_started) {
        live.erase(socket);
        gone.insert(socket);
    } else if (c.handler == handler_phase::returned) {
        release(socket, p.actions);
    }
    settle(p.actions);
    return p;
}

prediction server_model::listener_closed() {
    if (listener != listener_phase::closing) {
        return refuse(core::event_error::listener_close_not_requested);
    }
    prediction p;
    enter(p.actions);
    listener = listener_phase::closed;
    settle(p.actions);
    return p;
}

prediction server_model::close(bool close_existing, time_ns drain_deadline_ns) {
    prediction p;
    enter(p.actions);
    begin_close(close_existing, drain_deadline_ns, p.actions);
    settle(p.actions);
    return p;
}

prediction server_model::set_drop(bool drop_incoming) {
    prediction p;
    enter(p.actions);
    drop = drop_incoming;
    settle(p.actions);
    return p;
}

prediction server_model::time_passes(time_ns delta_ns, bool fire) {
    clock_ns += delta_ns;
    prediction p;
    p.fed = fire;
    if (!fire) return p;
    enter(p.actions);
    settle(p.actions);
    return p;
}

prediction server_model::event_in_the_past() {
    return refuse(core::event_error::time_went_backwards);
}

}  // namespace berth::test::model
