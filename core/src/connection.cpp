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
        if (form_ == connection_form::reader_writer) {
            writers_.emplace_back(opts_.buffer_age_limit_ns, opts_.buffer_limit_bytes,
                                  opts_.final_flush_timeout_ns);
            writer_deadlines_.resize(static_cast<std::uint32_t>(slots_.size()));
        }
    }
    detail::slot& s = slots_[index];
    BERTH_ASSERT(!s.in_use);
    // Generations start at 1 and skip 0 on wrap-around, so a default id is never live.
    s.generation = s.generation == UINT32_MAX ? 1 : s.generation + 1;
    s.socket = socket;
    s.handler = handler_state::start_pending;
    s.socket_status = socket_state::open;
    s.result = result_state::undecided;
    s.decided_by = result_source::handler;
    s.late_write = detail::late_write_state::none;
    s.in_use = true;
    s.held_by_close = false;
    s.late_notice_pending = false;
    if (form_ == connection_form::reader_writer) writers_[index].reset();
    ++num_connections_;
    return index;
}

const writer_tracker* server::writer_of(connection_id id) const {
    std::uint32_t index = 0;
    if (form_ != connection_form::reader_writer || find(id, index) != event_error::none) {
        return nullptr;
    }
    return &writers_[index];
}

void server::free_slot(std::uint32_t index) {
    detail::slot& s = slots_[index];
    BERTH_ASSERT(s.in_use && s.list == list_tag::none);
    BERTH_ASSERT(s.socket_status == socket_state::closed);
    BERTH_ASSERT(s.late_write != detail::late_write_state::pending);
    BERTH_ASSERT(!writer_deadlines_.contains(index));
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
        decide_result(e.id.index, e.result == outcome::ok ? result_state::ok : result_state::error,
                      result_source::handler);
    } else {
        ++stats_.late_handler_results;
        s.late_notice_pending = true;
    }
    release_if_done(e.id.index);
}

// The first result wins (SEMANTICS.md section 5.2); deciding it starts the socket's
// close unless a close of the server already did. A `create` handler that ends by
// itself gets its writer's final flush first (section 7); a writer that decided
// the result has stopped, so its socket closes at once.
void server::decide_result(std::uint32_t index, result_state result, result_source source) {
    detail::slot& s = slots_[index];
    BERTH_ASSERT(s.result == result_state::undecided);
    BERTH_ASSERT(result != result_state::undecided);
    s.result = result;
    s.decided_by = source;
    if (form_ == connection_form::reader_writer && source == result_source::handler) {
        writers_[index].begin_close(now_ns_);
        judge_writer(index);
        return;
    }
    request_socket_close(index);
}

// Whatever the writer still holds is dropped: the socket closes now.
void server::request_socket_close(std::uint32_t index) {
    detail::slot& s = slots_[index];
    if (form_ == connection_form::reader_writer) {
        writers_[index].discard();
        writer_deadlines_.cancel(index);
    }
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
// connection's notices (a late write, a late result) come before its release,
// while the connection's id still names it.
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
    if (poll_connection_notice(out)) return true;
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
        actions::release_connection release{
            id,
            result == result_state::ok ? outcome::ok : outcome::error,
            policy_action::none,
            s.decided_by,
            {}};
        if (s.decided_by == result_source::writer && writers_[index].has_failed()) {
            release.writer = writers_[index].failure();
        }
        free_slot(index);
        release.policy = decide_policy(result);
        // `raise` propagates out of the driver's run: the server must already be
        // closing by then (SEMANTICS.md section 5.3).
        if (release.policy == policy_action::raise) begin_close(false, no_deadline_ns);
        out = release;
        return true;
    }
    return false;
}

}  // namespace berth::core
