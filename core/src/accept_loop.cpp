// The accept loop (SEMANTICS.md section 4) and what accept errors do to it
// (section 6): when a step may start, its budget, the batch's results, and the
// admission or dropping of the batch when it is done.
#include <algorithm>

#include "berth/core/detail/assert.hpp"
#include "berth/core/server.hpp"

namespace berth::core {

std::uint32_t server::free_slots() const {
    BERTH_ASSERT(num_connections_ <= opts_.max_connections);
    return opts_.max_connections - num_connections_;
}

// A step starts only when nothing could make it wrong: the server is open, there
// is room, no step is outstanding, the last batch's drops are handed out (their
// sockets still occupy the batch buffer), no back-off is in force, and no reserve
// is being opened.
bool server::can_start_accept_step() const {
    return !closed_ && listener_ == listener_state::open && phase_ == accept_phase::idle &&
           !dropping_batch_ && batch_sockets_.empty() && free_slots() > 0 &&
           now_ns_ >= back_off_until_ns_ && reserve_ != reserve_state::requested;
}

// The reserve (shed mode) is opened before the first step, again after each shed
// batch has used it, and once per step after an attempt failed; it is released
// just before a shed batch, so that the batch has a descriptor to accept with.
bool server::poll_reserve(action& out) {
    if (phase_ == accept_phase::readable && shed_next_batch_ && reserve_ == reserve_state::held) {
        reserve_ = reserve_state::released;
        out = actions::release_reserve{};
        return true;
    }
    if (phase_ == accept_phase::idle && reserve_ == reserve_state::wanted &&
        can_start_accept_step()) {
        reserve_ = reserve_state::requested;
        out = actions::hold_reserve{};
        return true;
    }
    return false;
}

event_error server::check(const events::reserve_held&) const {
    if (reserve_ != reserve_state::requested) return event_error::reserve_not_requested;
    return event_error::none;
}

void server::apply(const events::reserve_held& e) {
    reserve_ = e.held ? reserve_state::held : reserve_state::missing;
}

bool server::poll_accept_step(action& out) {
    if (poll_reserve(out)) return true;
    if (phase_ == accept_phase::readable) {
        BERTH_ASSERT(!closed_);
        BERTH_ASSERT(batch_sockets_.empty());
        batch_shed_ = shed_next_batch_;
        shed_next_batch_ = false;
        // A shed batch closes everything it takes, so it needs no free slot. Any
        // other batch takes at most what the server has room for: free slots can
        // only grow until batch_done, so every socket of the batch will fit.
        batch_budget_ = batch_shed_ ? opts_.max_accepts_per_batch
                                    : std::min(opts_.max_accepts_per_batch, free_slots());
        BERTH_ASSERT(batch_budget_ >= 1);
        batch_attempts_ = 0;
        batch_ended_ = false;
        phase_ = accept_phase::batching;
        out = actions::accept_batch{batch_budget_, batch_shed_};
        return true;
    }
    if (can_start_accept_step()) {
        phase_ = accept_phase::waiting_readable;
        out = actions::wait_readable{};
        return true;
    }
    return false;
}

bool server::accept_batch_wants_more() const {
    return phase_ == accept_phase::batching && !batch_ended_;
}

event_error server::check(const events::listener_readable&) const {
    if (phase_ != accept_phase::waiting_readable) return event_error::readable_not_awaited;
    return event_error::none;
}

void server::apply(const events::listener_readable&) {
    phase_ = accept_phase::readable;
}

namespace {

event_error check_accept_result(accept_phase phase, bool batch_ended) {
    if (phase != accept_phase::batching) return event_error::accept_not_requested;
    if (batch_ended) return event_error::accept_batch_exhausted;
    return event_error::none;
}

}  // namespace

event_error server::check(const events::socket_accepted&) const {
    const event_error error = check_accept_result(phase_, batch_ended_);
    if (error == event_error::none && batch_shed_) return event_error::shed_mismatch;
    return error;
}

event_error server::check(const events::socket_shed&) const {
    const event_error error = check_accept_result(phase_, batch_ended_);
    if (error == event_error::none && !batch_shed_) return event_error::shed_mismatch;
    return error;
}

event_error server::check(const events::accept_failed&) const {
    return check_accept_result(phase_, batch_ended_);
}

// Every attempt, successful or not, uses one unit of the batch's budget: a flood of
// per-connection errors cannot keep the driver in one batch for long, and the loop
// re-arms right after, so the connections behind them are served in the next step.
// A shed batch that used its budget is not followed by another: the next batch is
// an ordinary one, and sheds again only if accept runs out again, so no client is
// ever shed while the process has descriptors to serve it.
void server::count_attempt() {
    BERTH_ASSERT(batch_attempts_ < batch_budget_);
    if (++batch_attempts_ == batch_budget_) batch_ended_ = true;
}

void server::apply(const events::socket_accepted& e) {
    BERTH_ASSERT(batch_sockets_.size() < batch_budget_);
    batch_sockets_.push_back(e.socket);
    ++stats_.accepted;
    back_off_delay_ns_ = back_off_initial_ns;
    count_attempt();
}

void server::apply(const events::socket_shed&) {
    ++stats_.accepted;
    ++stats_.shed;
    back_off_delay_ns_ = back_off_initial_ns;
    count_attempt();
}

void server::apply(const events::accept_failed& e) {
    const accept_error_class error_class = classify_accept_error(e.error_value);
    ++stats_.accept_errors[static_cast<std::size_t>(error_class)];
    switch (error_class) {
        case accept_error_class::nothing_there:
            ++batch_attempts_;
            batch_ended_ = true;
            break;
        case accept_error_class::per_connection: count_attempt(); break;
        case accept_error_class::out_of_resources:
            ++batch_attempts_;
            batch_ended_ = true;
            resources_error_value_ = e.error_value;
            if (notice_due(last_resources_notice_ns_)) {
                resources_notice_pending_ = true;
                last_resources_notice_ns_ = now_ns_;
            }
            // Shedding needs the reserved descriptor; a shed batch that still runs
            // out has none to give, so it falls back to pausing.
            if (opts_.on_accept_exhaustion == exhaustion_mode::shed && !batch_shed_) {
                shed_next_batch_ = true;
            } else {
                pause_accepting();
            }
            break;
        case accept_error_class::fatal:
            ++batch_attempts_;
            batch_ended_ = true;
            fatal_error_pending_ = true;
            fatal_error_value_ = e.error_value;
            begin_close(/*close_existing_connections=*/false, no_deadline_ns);
            break;
    }
}

// Exponential back-off: 5 ms, 10 ms, ... up to 1 s, reset by the next successful
// accept and cut short when a connection's socket closes (a descriptor came back).
void server::pause_accepting() {
    back_off_until_ns_ = now_ns_ > no_deadline_ns - back_off_delay_ns_
                             ? no_deadline_ns
                             : now_ns_ + back_off_delay_ns_;
    back_off_delay_ns_ = std::min(back_off_delay_ns_ * 2, back_off_max_ns);
    ++stats_.back_off_pauses;
}

event_error server::check(const events::batch_done&) const {
    if (phase_ != accept_phase::batching) return event_error::batch_not_started;
    return event_error::none;
}

void server::apply(const events::batch_done&) {
    phase_ = accept_phase::idle;
    batch_ended_ = true;
    // The shed batch's descriptor comes back as a reserve; a hold that failed is
    // tried again, once per step.
    if (reserve_ == reserve_state::released || reserve_ == reserve_state::missing) {
        reserve_ = reserve_state::wanted;
    }
    if (batch_sockets_.empty()) return;
    BERTH_ASSERT(!batch_shed_);  // shed sockets never enter the core
    if (closed_ || drop_mode_) {
        const auto n = static_cast<std::uint64_t>(batch_sockets_.size());
        if (closed_) {
            stats_.closed_after_close += n;
        } else {
            stats_.dropped += n;
        }
        dropping_batch_ = true;
        drop_cursor_ = 0;
        return;
    }
    admit_batch();
}

// Every socket of the batch takes its slot, in accept order, before any handler of
// the batch starts; the start list keeps that order for poll.
void server::admit_batch() {
    BERTH_ASSERT(batch_sockets_.size() <= free_slots());
    for (const socket_handle socket : batch_sockets_) {
        const std::uint32_t index = allocate_slot(socket);
        start_list_.push_back(slots_, index, detail::list_tag::start);
    }
    batch_sockets_.clear();
    if (free_slots() == 0) {
        ++stats_.times_at_limit;
        if (notice_due(last_at_limit_notice_ns_)) {
            at_limit_notice_pending_ = true;
            last_at_limit_notice_ns_ = now_ns_;
        }
    }
}

bool server::poll_dropped_socket(action& out) {
    if (!dropping_batch_) return false;
    BERTH_ASSERT(drop_cursor_ < batch_sockets_.size());
    out = actions::close_dropped_socket{batch_sockets_[drop_cursor_]};
    if (++drop_cursor_ == batch_sockets_.size()) {
        dropping_batch_ = false;
        drop_cursor_ = 0;
        batch_sockets_.clear();
    }
    return true;
}

}  // namespace berth::core
