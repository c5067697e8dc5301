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

server_model::server_model(const core::options& options, core::connection_form connection_form)
    : opts(options),
      form(connection_form),
      drop(options.drop_incoming_connections),
      reserve(options.on_accept_exhaustion == core::exhaustion_mode::shed ? reserve_phase::wanted
                                                                          : reserve_phase::unused) {
}

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
    // The writers' deadlines, as the core will look at them.
    for (const auto& entry : live)
        deadline = std::min(deadline, entry.second.look_at_ns);
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
    look_at_due_writers(out);
}

bool server_model::can_start_step() const {
    return step == step_phase::none && !closed && free_slots() > 0 &&
           server_now_ns >= back_off_until_ns && reserve != reserve_phase::requested;
}

void server_model::settle(std::vector<std::string>& out) {
    // The listener cannot close under a batch that still accepts on it.
    if (listener == listener_phase::close_wanted && step != step_phase::batch) {
        listener = listener_phase::closing;
        out.push_back(text::close_listener());
    }
    // A closed listener needs no reserve; a hold still outstanding is waited for.
    if (listener != listener_phase::open && step != step_phase::batch &&
        reserve != reserve_phase::unused && reserve != reserve_phase::requested) {
        if (reserve == reserve_phase::held) out.push_back(text::release_reserve());
        reserve = reserve_phase::unused;
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
    // In shed mode the reserve is held before a step may start.
    if (can_start_step() && reserve == reserve_phase::wanted) {
        reserve = reserve_phase::requested;
        out.push_back(text::hold_reserve());
    }
    if (can_start_step()) {
        step = step_phase::waiting;
        out.push_back(text::wait_readable());
    }
}

void server_model::close_socket(socket_handle socket, std::vector<std::string>& out) {
    connection& c = live.at(socket);
    if (writes()) {
        if (c.writer.flushing()) stop_writer(c.writer, core::writer_status::discarded);
        c.look_at_ns = core::no_deadline_ns;
    }
    if (c.socket != socket_phase::open) return;
    c.socket = socket_phase::closing;
    out.push_back(text::close_socket(socket, c.handler != handler_phase::never_started));
}

void server_model::begin_close(bool close_existing, time_ns drain_timeout_ns,
                               std::vector<std::string>& out) {
    // The deadline counts from now; a timeout too long to add is no deadline.
    const bool never =
        drain_timeout_ns == core::no_deadline_ns ||
        (server_now_ns > 0 && drain_timeout_ns > core::no_deadline_ns - server_now_ns);
    const time_ns drain_deadline_ns =
        never ? core::no_deadline_ns : server_now_ns + drain_timeout_ns;
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
            close_socket(socket, out);
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
        if (c.socket != socket_phase::closed) close_socket(socket, out);
    }
}

// The first result wins. A handler that ends by itself gets its writer's final
// flush before its socket closes; a writer that decided has stopped: it closes now.
void server_model::decide(socket_handle socket, core::outcome result, bool by_writer,
                          std::vector<std::string>& out) {
    connection& c = live.at(socket);
    c.result = result;
    c.decided_by_writer = by_writer;
    if (writes() && !by_writer) {
        writer_books& w = c.writer;
        if (w.status == core::writer_status::open) {
            w.status = core::writer_status::final_flush;
            w.final_flush_until_ns =
                server_now_ns > core::no_deadline_ns - opts.final_flush_timeout_ns
                    ? core::no_deadline_ns
                    : server_now_ns + opts.final_flush_timeout_ns;
        }
        judge_writer(socket, out);
        return;
    }
    close_socket(socket, out);
}

time_ns server_model::writer_deadline_ns(const writer_books& w) const {
    if (!w.flushing()) return core::no_deadline_ns;
    time_ns deadline = core::no_deadline_ns;
    if (opts.buffer_age_limit_ns != core::unlimited_age_ns && !w.stretches.empty() &&
        w.stretches.front().at_ns < core::no_deadline_ns - opts.buffer_age_limit_ns - 1) {
        deadline = w.stretches.front().at_ns + opts.buffer_age_limit_ns + 1;
    }
    if (w.status == core::writer_status::final_flush) {
        deadline = std::min(deadline, w.final_flush_until_ns);
    }
    return deadline;
}

// A stopped writer flushes nothing more: what waited is given up.
void server_model::stop_writer(writer_books& w, core::writer_status status) const {
    w.status = status;
    w.flushed = w.written;
    w.stretches.clear();
}

bool server_model::take_write(writer_books& w, std::uint64_t bytes) const {
    if (bytes == 0) return true;
    if (opts.buffer_limit_bytes != core::unlimited_bytes &&
        w.waiting() + bytes > opts.buffer_limit_bytes) {
        w.failure = core::writer_failure{};
        w.failure.status = core::writer_status::too_full;
        w.failure.bytes_held = w.waiting();
        w.failure.bytes_refused = bytes;
        w.failure.limit_bytes = opts.buffer_limit_bytes;
        stop_writer(w, core::writer_status::too_full);
        return false;
    }
    w.written += bytes;
    if (opts.buffer_age_limit_ns == core::unlimited_age_ns) return true;
    const time_ns spacing_ns = std::max<time_ns>(opts.buffer_age_limit_ns / 16, 1);
    if (!w.stretches.empty() && server_now_ns - w.stretches.back().at_ns < spacing_ns) {
        w.stretches.back().end = w.written;
    } else {
        w.stretches.push_back({w.written, server_now_ns});
    }
    return true;
}

// The age limit, then the final flush's end.
void server_model::check_writer(writer_books& w) const {
    if (!w.flushing()) return;
    if (opts.buffer_age_limit_ns != core::unlimited_age_ns && !w.stretches.empty() &&
        server_now_ns - w.stretches.front().at_ns > opts.buffer_age_limit_ns) {
        w.failure = core::writer_failure{};
        w.failure.status = core::writer_status::too_old;
        w.failure.age_ns = server_now_ns - w.stretches.front().at_ns;
        w.failure.bytes_held = w.waiting();
        w.failure.limit_ns = opts.buffer_age_limit_ns;
        stop_writer(w, core::writer_status::too_old);
        return;
    }
    if (w.status != core::writer_status::final_flush) return;
    if (w.waiting() == 0) {
        w.status = core::writer_status::ready_to_close;
    } else if (server_now_ns >= w.final_flush_until_ns) {
        stop_writer(w, core::writer_status::ready_to_close);
    }
}

void server_model::look_again(connection& c) const {
    c.look_at_ns = std::min(c.look_at_ns, writer_deadline_ns(c.writer));
}

// What the writer's status asks for, after anything that may have changed it.
void server_model::judge_writer(socket_handle socket, std::vector<std::string>& out) {
    connection& c = live.at(socket);
    check_writer(c.writer);
    switch (c.writer.status) {
        case core::writer_status::open:
        case core::writer_status::final_flush: look_again(c); return;
        case core::writer_status::ready_to_close:
        case core::writer_status::discarded: close_socket(socket, out); return;
        case core::writer_status::too_old:
        case core::writer_status::too_full:
        case core::writer_status::failed:
            ++stats.writer_failures;
            if (!c.result) {
                decide(socket, core::outcome::error, true, out);
            } else {
                close_socket(socket, out);
            }
            return;
        case core::writer_status::peer_gone:
            if (!c.result) {
                decide(socket, core::outcome::ok, true, out);
            } else {
                close_socket(socket, out);
            }
            return;
    }
}

void server_model::look_at_due_writers(std::vector<std::string>& out) {
    for (auto& [socket, c] : live) {
        if (c.look_at_ns > server_now_ns) continue;
        c.look_at_ns = core::no_deadline_ns;
        if (c.writer.flushing()) judge_writer(socket, out);
    }
}

void server_model::release(socket_handle socket, std::vector<std::string>& out) {
    const connection c = live.at(socket);
    const bool failed = c.writer.status == core::writer_status::too_old ||
                        c.writer.status == core::writer_status::too_full ||
                        c.writer.status == core::writer_status::failed;
    const core::writer_failure attached =
        c.decided_by_writer && failed ? c.writer.failure : core::writer_failure{};
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
    out.push_back(text::release_connection(
        socket, *c.result, policy,
        c.decided_by_writer ? core::result_source::writer : core::result_source::handler,
        attached));
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
    // The reserve makes room for the shed batch to accept.
    if (shed && reserve == reserve_phase::held) {
        reserve = reserve_phase::released;
        p.actions.push_back(text::release_reserve());
    }
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
    // The shed batch's descriptor comes back as a reserve; a failed hold is tried
    // again, once per step.
    if (reserve == reserve_phase::released || reserve == reserve_phase::missing) {
        reserve = reserve_phase::wanted;
    }
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

prediction server_model::forged_id(bool writer_event) const {
    if (writer_event && !writes()) return refuse(core::event_error::no_writer);
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
        decide(socket, result, false, p.actions);
    }
    if (c.socket == socket_phase::closed) release(socket, p.actions);
    settle(p.actions);
    return p;
}

// Writer events: only a `create` server keeps writers; only a started handler has
// one, and only a running one writes.
std::optional<core::event_error> server_model::check_writer_event(socket_handle socket) const {
    if (!writes()) return core::event_error::no_writer;
    if (const auto error = check_connection(socket)) return error;
    const handler_phase h = live.at(socket).handler;
    if (h != handler_phase::running && h != handler_phase::returned) {
        return core::event_error::handler_not_running;
    }
    return std::nullopt;
}

prediction server_model::bytes_buffered(socket_handle socket, std::uint64_t bytes) {
    if (const auto error = check_writer_event(socket)) return refuse(*error);
    if (live.at(socket).handler != handler_phase::running) {
        return refuse(core::event_error::handler_not_running);
    }
    prediction p;
    enter(p.actions);
    connection& c = live.at(socket);
    if (c.result) {
        // After the result: dropped and counted, noticed once per connection.
        ++stats.late_writes;
        if (!c.late_write_noticed) {
            c.late_write_noticed = true;
            p.actions.push_back(text::notice(core::notice_kind::late_write, socket, 0));
        }
    } else if (c.writer.status == core::writer_status::open) {
        const bool was_empty = c.writer.waiting() == 0;
        if (!take_write(c.writer, bytes)) {
            judge_writer(socket, p.actions);
        } else if (was_empty) {
            look_again(c);
        }
    }
    // Otherwise the closing server discarded the writer: dropped quietly.
    settle(p.actions);
    return p;
}

prediction server_model::bytes_flushed(socket_handle socket, std::uint64_t bytes) {
    if (const auto error = check_writer_event(socket)) return refuse(*error);
    const writer_books& before = live.at(socket).writer;
    if (before.flushing() && bytes > before.waiting()) {
        return refuse(core::event_error::flushed_more_than_buffered);
    }
    prediction p;
    enter(p.actions);
    connection& c = live.at(socket);
    if (c.writer.flushing()) {
        c.writer.flushed += bytes;
        auto& st = c.writer.stretches;
        while (!st.empty() && st.front().end <= c.writer.flushed)
            st.erase(st.begin());
        if (c.writer.status == core::writer_status::final_flush) judge_writer(socket, p.actions);
    }
    settle(p.actions);
    return p;
}

prediction server_model::write_failed(socket_handle socket, int error_value) {
    if (const auto error = check_writer_event(socket)) return refuse(*error);
    prediction p;
    enter(p.actions);
    connection& c = live.at(socket);
    if (c.writer.flushing()) {
        // A departed peer is the normal end of a connection, not an error.
        const bool peer_gone = error_value == EPIPE || error_value == ECONNRESET ||
                               error_value == ENOTCONN || error_value == ESHUTDOWN ||
                               error_value == ECONNABORTED || error_value == ETIMEDOUT;
        c.writer.failure = core::writer_failure{};
        c.writer.failure.status =
            peer_gone ? core::writer_status::peer_gone : core::writer_status::failed;
        c.writer.failure.error_value = error_value;
        stop_writer(c.writer, c.writer.failure.status);
        judge_writer(socket, p.actions);
    }
    settle(p.actions);
    return p;
}

prediction server_model::extra_completion(socket_handle socket) {
    prediction p;
    enter(p.actions);
    ++stats.extra_completions;
    p.actions.push_back(text::notice(core::notice_kind::extra_completion, socket, 0));
    settle(p.actions);
    return p;
}

prediction server_model::reserve_held(bool held) {
    if (reserve != reserve_phase::requested) {
        return refuse(core::event_error::reserve_not_requested);
    }
    prediction p;
    enter(p.actions);
    reserve = held ? reserve_phase::held : reserve_phase::missing;
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

prediction server_model::close(bool close_existing, time_ns drain_timeout_ns) {
    if (drain_timeout_ns < 0) return refuse(core::event_error::negative_drain_timeout);
    prediction p;
    enter(p.actions);
    begin_close(close_existing, drain_timeout_ns, p.actions);
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
