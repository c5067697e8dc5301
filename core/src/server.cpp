// The event entry point and the order in which pending actions are handed out.
#include "berth/core/server.hpp"

#include <algorithm>

#include "berth/core/detail/assert.hpp"

namespace berth::core {

namespace {

// Slots allocated up front, so that small servers never allocate after creation.
constexpr std::uint32_t slots_reserved_at_creation = 1024;

}  // namespace

server::server(const options& opts, connection_form form)
    : opts_(opts), form_(form), drop_mode_(opts.drop_incoming_connections) {
    BERTH_ASSERT(!validate(opts).has_value());
    batch_sockets_.reserve(opts.max_accepts_per_batch);
    const std::uint32_t reserved = std::min(opts.max_connections, slots_reserved_at_creation);
    slots_.reserve(reserved);
    if (form_ == connection_form::reader_writer) {
        writers_.reserve(reserved);
        writer_deadlines_.resize(reserved);
    }
    if (opts.on_accept_exhaustion == exhaustion_mode::shed) reserve_ = reserve_state::wanted;
}

event_error server::handle(const event& ev, time_ns now_ns) {
    if (now_ns < now_ns_) return event_error::time_went_backwards;
    const event_error error = std::visit([this](const auto& e) { return check(e); }, ev);
    if (error != event_error::none) return error;
    advance_time(now_ns);
    std::visit([this](const auto& e) { apply(e); }, ev);
    return event_error::none;
}

void server::advance_time(time_ns now_ns) {
    now_ns_ = now_ns;
    if (closed_ && !drain_done_ && drain_deadline_ns_ <= now_ns_) drain_now();
    check_due_writers();
}

// The order is part of the contract (docs/architecture.md): resources are given
// back first (dropped sockets, the listener, connection sockets), then handlers
// start, then finished connections are released, then the operator hears about
// it, then completions fire, and only when nothing else is pending does the
// accept loop take its next step, so that it sees every slot freed above.
action server::poll() {
    action out;
    if (poll_dropped_socket(out)) return out;
    if (poll_close(out)) return out;
    if (poll_connection(out)) return out;
    if (poll_notice(out)) return out;
    if (poll_completions(out)) return out;
    if (poll_accept_step(out)) return out;
    out = actions::idle{next_deadline_ns()};
    return out;
}

time_ns server::next_deadline_ns() const {
    time_ns deadline = writer_deadlines_.earliest_ns();
    if (closed_ && !drain_done_ && num_connections_ > 0)
        deadline = std::min(deadline, drain_deadline_ns_);
    if (!closed_ && phase_ == accept_phase::idle && back_off_until_ns_ > now_ns_) {
        deadline = std::min(deadline, back_off_until_ns_);
    }
    return deadline;
}

event_error server::check(const events::drop_mode_set&) const {
    return event_error::none;
}
event_error server::check(const events::timer_fired&) const {
    return event_error::none;
}
// Always accepted: it reports a handler's misuse, not the driver's, and the id may
// name a connection released since.
event_error server::check(const events::extra_completion&) const {
    return event_error::none;
}

void server::apply(const events::drop_mode_set& e) {
    drop_mode_ = e.drop_incoming_connections;
}
void server::apply(const events::timer_fired&) {}
void server::apply(const events::extra_completion& e) {
    ++stats_.extra_completions;
    if (extra_completion_notices_pending_ == extra_completion_notices_max) return;
    extra_completion_ids_[(extra_completion_first_ + extra_completion_notices_pending_) %
                          extra_completion_notices_max] = e.id;
    ++extra_completion_notices_pending_;
}

bool server::notice_due(time_ns last_ns) const {
    return last_ns == std::numeric_limits<time_ns>::min() ||
           now_ns_ - last_ns >= notice_interval_ns;
}

bool server::poll_notice(action& out) {
    if (at_limit_notice_pending_) {
        at_limit_notice_pending_ = false;
        out = actions::notice{notice_kind::at_limit, {}, 0};
        return true;
    }
    if (resources_notice_pending_) {
        resources_notice_pending_ = false;
        out = actions::notice{notice_kind::accept_resources_exhausted, {}, resources_error_value_};
        return true;
    }
    if (drain_notice_pending_) {
        drain_notice_pending_ = false;
        out = actions::notice{notice_kind::drain_deadline_reached, {}, 0};
        return true;
    }
    if (extra_completion_notices_pending_ > 0) {
        const connection_id id = extra_completion_ids_[extra_completion_first_];
        extra_completion_first_ = (extra_completion_first_ + 1) % extra_completion_notices_max;
        --extra_completion_notices_pending_;
        out = actions::notice{notice_kind::extra_completion, id, 0};
        return true;
    }
    return false;
}

}  // namespace berth::core
