// Closing (SEMANTICS.md section 8): the listening socket, existing connections,
// the graceful drain, and the two completions.
#include <algorithm>

#include "berth/core/detail/assert.hpp"
#include "berth/core/server.hpp"

namespace berth::core {

using detail::handler_state;
using detail::socket_state;

event_error server::check(const events::close_requested& e) const {
    if (e.drain_timeout_ns < 0) return event_error::negative_drain_timeout;
    return event_error::none;
}

void server::apply(const events::close_requested& e) {
    begin_close(e.close_existing_connections, e.drain_timeout_ns);
}

// Idempotent. The first call decides what the close completion waits for; later
// calls only add: close_existing_connections closes the connections present then,
// and a drain deadline can only move earlier. The deadline is now + timeout, and a
// timeout too long to add is no deadline at all, so no caller can overflow it.
void server::begin_close(bool close_existing, time_ns drain_timeout_ns) {
    BERTH_ASSERT(drain_timeout_ns >= 0);
    const bool never = drain_timeout_ns == no_deadline_ns ||
                       (now_ns_ > 0 && drain_timeout_ns > no_deadline_ns - now_ns_);
    const time_ns drain_deadline_ns = never ? no_deadline_ns : now_ns_ + drain_timeout_ns;
    const bool first = !closed_;
    if (first) {
        closed_ = true;
        listener_ = listener_state::close_pending;
        // A wait for readability is cancelled by closing the listener; a batch in
        // progress still uses the listener, so its close waits for batch_done.
        if (phase_ == accept_phase::waiting_readable || phase_ == accept_phase::readable) {
            phase_ = accept_phase::idle;
        }
        shed_next_batch_ = false;
        // No handler starts after close: admitted connections whose start has not
        // been pulled yet are closed without one.
        while (!start_list_.empty()) {
            const std::uint32_t index = start_list_.pop_front(slots_);
            detail::slot& s = slots_[index];
            s.handler = handler_state::never_started;
            ++stats_.closed_after_close;
            request_socket_close(index);
        }
    }
    if (close_existing) {
        close_existing_connections(/*hold_close_completion=*/first);
    } else if (!drain_done_) {
        drain_deadline_ns_ = std::min(drain_deadline_ns_, drain_deadline_ns);
        if (drain_deadline_ns_ <= now_ns_) drain_now();
    }
}

void server::drain_now() {
    BERTH_ASSERT(closed_ && !drain_done_);
    drain_done_ = true;
    if (num_connections_ > 0) drain_notice_pending_ = true;
    close_existing_connections(/*hold_close_completion=*/false);
}

// Handlers are not cancelled: they find their socket closed and leave through the
// normal path of section 5.
void server::close_existing_connections(bool hold_close_completion) {
    for (std::uint32_t index = 0; index < slots_.size(); ++index) {
        detail::slot& s = slots_[index];
        if (!s.in_use || s.socket_status == socket_state::closed) continue;
        request_socket_close(index);
        if (hold_close_completion && !s.held_by_close) {
            s.held_by_close = true;
            ++held_by_close_;
        }
    }
}

bool server::poll_close(action& out) {
    if (listener_ == listener_state::close_pending && phase_ != accept_phase::batching) {
        listener_ = listener_state::closing;
        out = actions::close_listener{};
        return true;
    }
    // A closed listener needs no reserve: give the descriptor back (SEMANTICS.md 6).
    // A hold still outstanding is waited for, so that a descriptor it opens is
    // released too rather than forgotten.
    if (listener_ != listener_state::open && phase_ != accept_phase::batching &&
        reserve_ != reserve_state::unused && reserve_ != reserve_state::requested) {
        const bool held = reserve_ == reserve_state::held;
        reserve_ = reserve_state::unused;
        if (held) {
            out = actions::release_reserve{};
            return true;
        }
    }
    if (fatal_error_pending_ && listener_ != listener_state::close_pending) {
        fatal_error_pending_ = false;
        out = actions::raise_accept_error{fatal_error_value_};
        return true;
    }
    return false;
}

event_error server::check(const events::listener_closed&) const {
    if (listener_ != listener_state::closing) return event_error::listener_close_not_requested;
    return event_error::none;
}

void server::apply(const events::listener_closed&) {
    listener_ = listener_state::closed;
}

bool server::poll_completions(action& out) {
    if (listener_ != listener_state::closed) return false;
    if (!close_completed_ && held_by_close_ == 0) {
        close_completed_ = true;
        out = actions::complete_close{};
        return true;
    }
    if (close_completed_ && !handlers_finished_ && num_connections_ == 0 &&
        batch_sockets_.empty() && phase_ == accept_phase::idle) {
        handlers_finished_ = true;
        out = actions::complete_handlers_finished{};
        return true;
    }
    return false;
}

}  // namespace berth::core
