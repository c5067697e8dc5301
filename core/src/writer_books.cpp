// The books of every `create` connection's writer (SEMANTICS.md section 7), kept
// here so that the age limit, the buffer limit, the departed peer and the final
// flush are decided once for every backend: the driver only moves bytes and reports
// what moved (bytes_buffered, bytes_flushed, write_failed).
//
// Each writer's next deadline (its oldest byte turning too old, its final flush
// running out) rides on the core's one timer through `writer_deadlines_`. A
// deadline there may be earlier than the writer's real one, because flushing moves
// the real one later and that is not worth a heap operation per flush; a due slot is
// judged again and, if still flushing, scheduled at its new deadline.
#include "berth/core/detail/assert.hpp"
#include "berth/core/server.hpp"

namespace berth::core {

using detail::handler_state;
using detail::late_write_state;
using detail::result_state;

// A writer exists from the handler's start until the release; only a running
// handler can write, but the kernel may report flushes and failures until the
// socket closes.
event_error server::check_writer_event(connection_id id, std::uint32_t& index) const {
    if (form_ != connection_form::reader_writer) return event_error::no_writer;
    if (const event_error error = find(id, index); error != event_error::none) return error;
    const handler_state h = slots_[index].handler;
    if (h != handler_state::running && h != handler_state::returned) {
        return event_error::handler_not_running;
    }
    return event_error::none;
}

event_error server::check(const events::bytes_buffered& e) const {
    std::uint32_t index = 0;
    if (const event_error error = check_writer_event(e.id, index); error != event_error::none) {
        return error;
    }
    if (slots_[index].handler != handler_state::running) return event_error::handler_not_running;
    return event_error::none;
}

event_error server::check(const events::bytes_flushed& e) const {
    std::uint32_t index = 0;
    if (const event_error error = check_writer_event(e.id, index); error != event_error::none) {
        return error;
    }
    const writer_tracker& w = writers_[index];
    if (w.flushing() && e.bytes > w.bytes_waiting()) return event_error::flushed_more_than_buffered;
    return event_error::none;
}

event_error server::check(const events::write_failed& e) const {
    std::uint32_t index = 0;
    return check_writer_event(e.id, index);
}

// A write after the result is decided is the handler's misuse (section 5.2): it is
// dropped, counted, and noticed once per connection, so that a handler writing in a
// loop cannot flood the operator's log.
void server::apply(const events::bytes_buffered& e) {
    const std::uint32_t index = e.id.index;
    detail::slot& s = slots_[index];
    if (s.result != result_state::undecided) {
        ++stats_.late_writes;
        if (s.late_write == late_write_state::none) {
            s.late_write = late_write_state::pending;
            s.notice_next = detail::nil_index;
            if (notice_tail_ == detail::nil_index) {
                notice_head_ = index;
            } else {
                slots_[notice_tail_].notice_next = index;
            }
            notice_tail_ = index;
        }
        return;
    }
    writer_tracker& w = writers_[index];
    // A writer the closing server discarded drops writes quietly: the handler will
    // find its socket closed.
    if (!w.accepts_writes()) return;
    const bool was_empty = w.bytes_waiting() == 0;
    if (!w.on_buffered(now_ns_, e.bytes)) {
        judge_writer(index);  // too full
        return;
    }
    if (was_empty) schedule_writer_check(index);
}

void server::apply(const events::bytes_flushed& e) {
    writer_tracker& w = writers_[e.id.index];
    if (!w.flushing()) return;  // stopped: what it held was discarded
    w.on_flushed(now_ns_, e.bytes);
    if (w.status() == writer_status::final_flush) judge_writer(e.id.index);
}

void server::apply(const events::write_failed& e) {
    writer_tracker& w = writers_[e.id.index];
    if (!w.flushing()) return;
    w.on_write_error(e.error_value);
    judge_writer(e.id.index);
}

// What the writer's status asks for. Called after anything that may change it;
// a stopped writer decides the result if nothing did before, and its socket closes
// at once in either case.
void server::judge_writer(std::uint32_t index) {
    detail::slot& s = slots_[index];
    const writer_status status = writers_[index].check(now_ns_);
    switch (status) {
        case writer_status::open:
        case writer_status::final_flush: schedule_writer_check(index); return;
        case writer_status::ready_to_close:
        case writer_status::discarded: request_socket_close(index); return;
        case writer_status::too_old:
        case writer_status::too_full:
        case writer_status::failed:
            ++stats_.writer_failures;
            if (s.result == result_state::undecided) {
                decide_result(index, result_state::error, result_source::writer);
            } else {
                request_socket_close(index);  // it failed during the final flush
            }
            return;
        case writer_status::peer_gone:
            if (s.result == result_state::undecided) {
                decide_result(index, result_state::ok, result_source::writer);
            } else {
                request_socket_close(index);
            }
            return;
    }
}

void server::schedule_writer_check(std::uint32_t index) {
    const time_ns deadline_ns = writers_[index].next_deadline_ns();
    if (deadline_ns != no_deadline_ns) writer_deadlines_.schedule_no_later(index, deadline_ns);
}

// Bounded: every turn removes one deadline, and a writer judged at `now` is only
// scheduled again at a later deadline.
void server::check_due_writers() {
    while (!writer_deadlines_.empty() && writer_deadlines_.earliest_ns() <= now_ns_) {
        const std::uint32_t index = writer_deadlines_.pop();
        BERTH_ASSERT(slots_[index].in_use);
        if (writers_[index].flushing()) judge_writer(index);
    }
}

bool server::poll_connection_notice(action& out) {
    if (notice_head_ == detail::nil_index) return false;
    const std::uint32_t index = notice_head_;
    detail::slot& s = slots_[index];
    notice_head_ = s.notice_next;
    if (notice_head_ == detail::nil_index) notice_tail_ = detail::nil_index;
    s.notice_next = detail::nil_index;
    BERTH_ASSERT(s.late_write == late_write_state::pending);
    s.late_write = late_write_state::noticed;
    out = actions::notice{notice_kind::late_write, connection_id{index, s.generation}, 0};
    return true;
}

}  // namespace berth::core
