// A connection's life in its slot (SEMANTICS.md sections 4.5 and 5): admission,
// handler start, the first result, the socket's close, and the release that frees
// the slot once both the handler has returned and the socket is closed.
#include "berth/core/detail/assert.hpp"
#include "berth/core/server.hpp"

namespace berth::core {

using detail::handler_state;
using detail::list_tag;
using detail::result_state;
using detail::socket_state;

event_error server::find(connection_id id, std::uint32_t& index) const {
    if (id.generation == 0 || id.index >= slots_.size()) return event_error::unknown_connection;
    const detail::slot& s = slots_[id.index];
    if (id.generation > s.generation) return event_error::unknown_connection;
    if (id.generation < s.generation || !s.in_use) return event_error::stale_connection;
    index = id.index;
    return event_error::none;
}

bool server::is_live(connection_id id) const {
    std::uint32_t index = 0;
    return find(id, index) == event_error::none;
}

std::uint32_t server::allocate_slot(socket_handle socket) {
    std::uint32_t index = 0;
    if (!free_list_.empty()) {
        index = free_list_.pop_front(slots_);
    } else {
        BERTH_ASSERT(slots_.size() < opts_.max_connections);
        index = static_cast<std::uint32_t>(slots_.size());
        slots_.emplace_back();
        slots_[index].list = list_tag::none;
    }
    detail::slot& s = slots_[index];
    BERTH_ASSERT(!s.in_use);
    // Generations start at 1 and skip 0 on wrap-around, so a default id is never live.
    s.generation = s.generation == UINT32_MAX ? 1 : s.generation + 1;
    s.socket = socket;
    s.handler = handler_state::start_pending;
    s.socket_status = socket_state::open;
    s.result = result_state::undecided;
    s.in_use = true;
    s.held_by_close = false;
    s.late_notice_pending = false;
    ++num_connections_;
    return index;
}

void server::free_slot(std::uint32_t index) {
    detail::slot& s = slots_[index];
    BERTH_ASSERT(s.in_use && s.list == list_tag::none);
    BERTH_ASSERT(s.socket_status == socket_state::closed);
    BERTH_ASSERT(num_connections_ > 0);
    s.in_use = false;
    --num_connections_;
    free_list_.push_back(slots_, index, list_tag::free);
}

event_error server::check(const events::handler_returned& e) const {
    std::uint32_t index = 0;
    if (const event_error error = find(e.id, index); error != event_error::none) return error;
    if (slots_[index].handler != handler_state::running) return event_error::handler_not_running;
    return event_error::none;
}

void server::apply(const events::handler_returned& e) {
    detail::slot& s = slots_[e.id.index];
    s.handler = handler_state::returned;
    if (s.result == result_state::undecided) {
        decide_result(e.id.index, e.result == outcome::ok ? result_state::ok : result_state::error);
    } else {
        ++stats_.late_handler_results;
        s.late_notice_pending = true;
    }
    release_if_done(e.id.index);
}

// The writer lives from the handler's start until the connection is released, so
// its events are valid while the handler runs and after it has returned.
event_error server::check_writer_event(connection_id id) const {
    std::uint32_t index = 0;
    if (const event_error error = find(id, index); error != event_error::none) return error;
    const handler_state h = slots_[index].handler;
    if (h != handler_state::running && h != handler_state::returned) {
        return event_error::handler_not_running;
    }
    return event_error::none;
}

event_error server::check(const events::writer_failed& e) const {
    return check_writer_event(e.id);
}
event_error server::check(const events::peer_gone& e) const {
    return check_writer_event(e.id);
}

void server::apply(const events::writer_failed& e) {
    if (slots_[e.id.index].result == result_state::undecided) {
        decide_result(e.id.index, result_state::error);
    }
}

void server::apply(const events::peer_gone& e) {
    if (slots_[e.id.index].result == result_state::undecided) {
        decide_result(e.id.index, result_state::ok);
    }
}

// The first result wins (SEMANTICS.md section 5.2); deciding it starts the socket's
// close unless a close of the server already did.
void server::decide_result(std::uint32_t index, result_state result) {
    detail::slot& s = slots_[index];
    BERTH_ASSERT(s.result == result_state::undecided);
    BERTH_ASSERT(result != result_state::undecided);
    s.result = result;
    request_socket_close(index);
}

void server::request_socket_close(std::uint32_t index) {
    detail::slot& s = slots_[index];
    if (s.socket_status != socket_state::open) return;
    s.socket_status = socket_state::close_pending;
    close_list_.push_back(slots_, index, list_tag::close);
}

event_error server::check(const events::socket_closed& e) const {
    std::uint32_t index = 0;
    if (const event_error error = find(e.id, index); error != event_error::none) return error;
    if (slots_[index].socket_status != socket_state::closing) {
        return event_error::socket_close_not_requested;
    }
    return event_error::none;
}

void server::apply(const events::socket_closed& e) {
    detail::slot& s = slots_[e.id.index];
    s.socket_status = socket_state::closed;
    if (s.held_by_close) {
        s.held_by_close = false;
        BERTH_ASSERT(held_by_close_ > 0);
        --held_by_close_;
    }
    // A descriptor came back: whatever made accept run out may be over.
    if (back_off_until_ns_ > now_ns_) back_off_until_ns_ = now_ns_;
    if (s.handler == handler_state::never_started) {
        free_slot(e.id.index);
        return;
    }
    release_if_done(e.id.index);
}

void server::release_if_done(std::uint32_t index) {
    const detail::slot& s = slots_[index];
    if (s.handler == handler_state::returned && s.socket_status == socket_state::closed) {
        release_list_.push_back(slots_, index, list_tag::release);
    }
}

// Sockets are closed before handlers start so that resources come back first; a
// release owes its late-result notice before the release itself, while the
// connection's id still names it.
bool server::poll_connection(action& out) {
    if (!close_list_.empty()) {
        const std::uint32_t index = close_list_.pop_front(slots_);
        detail::slot& s = slots_[index];
        BERTH_ASSERT(s.socket_status == socket_state::close_pending);
        s.socket_status = socket_state::closing;
        out = actions::close_socket{connection_id{index, s.generation}, s.socket,
                                    s.handler != handler_state::never_started};
        return true;
    }
    if (!start_list_.empty()) {
        BERTH_ASSERT(!closed_);
        const std::uint32_t index = start_list_.pop_front(slots_);
        detail::slot& s = slots_[index];
        BERTH_ASSERT(s.handler == handler_state::start_pending);
        s.handler = handler_state::running;
        ++stats_.handlers_started;
        out = actions::start_handler{connection_id{index, s.generation}, s.socket};
        return true;
    }
    if (!release_list_.empty()) {
        const std::uint32_t index = release_list_.front();
        detail::slot& s = slots_[index];
        const connection_id id{index, s.generation};
        if (s.late_notice_pending) {
            s.late_notice_pending = false;
            out = actions::notice{notice_kind::late_handler_result, id, 0};
            return true;
        }
        static_cast<void>(release_list_.pop_front(slots_));
        const result_state result = s.result;
        BERTH_ASSERT(result != result_state::undecided);
        if (result == result_state::ok) {
            ++stats_.handler_ok;
        } else {
            ++stats_.handler_errors;
        }
        free_slot(index);
        const policy_action policy = decide_policy(result);
        // `raise` propagates out of the driver's run: the server must already be
        // closing by then (SEMANTICS.md section 5.3).
        if (policy == policy_action::raise) begin_close(false, no_deadline_ns);
        out = actions::release_connection{
            id, result == result_state::ok ? outcome::ok : outcome::error, policy};
        return true;
    }
    return false;
}

}  // namespace berth::core
