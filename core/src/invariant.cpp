// The core's invariants (SEMANTICS.md section 9), checked from scratch against the
// slots: the counters and lists kept for speed must agree with what they summarise.
#include "berth/core/server.hpp"

namespace berth::core {

using detail::handler_state;
using detail::late_write_state;
using detail::list_tag;
using detail::result_state;
using detail::socket_state;

namespace {

// A slot's states must form one of the combinations its life can produce.
// `writer` is the slot's writer's books, null for the socket form.
const char* check_slot(const detail::slot& s, bool server_closed, const writer_tracker* writer) {
    if (s.generation == 0) return "a used slot has generation 0";
    switch (s.handler) {
        case handler_state::start_pending:
            if (server_closed) return "a handler is waiting to start after close";
            if (s.list != list_tag::start)
                return "a handler waiting to start is not on the start list";
            if (s.socket_status != socket_state::open)
                return "a handler waiting to start has no open socket";
            if (s.result != result_state::undecided)
                return "a connection has a result before its handler started";
            break;
        case handler_state::never_started:
            if (s.socket_status == socket_state::open)
                return "a connection closed without handler still has an open socket";
            if (s.result != result_state::undecided)
                return "a connection without handler has a result";
            break;
        case handler_state::running: break;
        case handler_state::returned:
            if (s.result == result_state::undecided) return "a returned handler left no result";
            break;
    }
    const bool final_flush = writer != nullptr && writer->status() == writer_status::final_flush;
    if (s.result != result_state::undecided && s.socket_status == socket_state::open &&
        !final_flush) {
        return "a connection with a result still has an open socket and no close pending";
    }
    if (final_flush &&
        (s.handler != handler_state::returned || s.decided_by != result_source::handler))
        return "a writer flushes its last bytes although its handler did not end the connection";
    if (writer != nullptr && writer->flushing() && s.socket_status != socket_state::open)
        return "a writer still flushes on a socket being closed";
    if (s.late_write == late_write_state::pending && s.result == result_state::undecided)
        return "a late-write notice is owed for a connection without a result";
    const bool releasable =
        s.handler == handler_state::returned && s.socket_status == socket_state::closed;
    if (releasable != (s.list == list_tag::release))
        return "a connection's release list membership disagrees with its state";
    if ((s.socket_status == socket_state::close_pending) != (s.list == list_tag::close)) {
        return "a connection's close list membership disagrees with its socket state";
    }
    if (s.held_by_close && s.socket_status == socket_state::closed)
        return "a closed socket still holds back the close completion";
    if (s.late_notice_pending && s.handler != handler_state::returned)
        return "a late-result notice is owed for a handler that has not returned";
    return nullptr;
}

}  // namespace

const char* server::check_invariant() const {
    if (opts_.max_connections < 1) return "max_connections < 1";
    if (opts_.max_accepts_per_batch < 1) return "max_accepts_per_batch < 1";
    if (num_connections_ > opts_.max_connections) return "num_connections > max_connections";
    if (slots_.size() > opts_.max_connections) return "more slots than max_connections";

    std::uint32_t in_use = 0;
    std::uint32_t on_list[5] = {};
    std::uint32_t held = 0;
    for (const detail::slot& s : slots_) {
        on_list[static_cast<int>(s.list)]++;
        if (!s.in_use) {
            if (s.list != list_tag::free) return "a free slot is not on the free list";
            continue;
        }
        ++in_use;
        if (s.list == list_tag::free) return "a used slot is on the free list";
        const auto index = static_cast<std::uint32_t>(&s - slots_.data());
        const writer_tracker* writer =
            form_ == connection_form::reader_writer ? &writers_[index] : nullptr;
        if (const char* broken = check_slot(s, closed_, writer)) return broken;
        if (s.held_by_close) ++held;
        if (writer != nullptr && writer->next_deadline_ns() != no_deadline_ns &&
            !writer_deadlines_.contains(index)) {
            return "a writer with a deadline is missing from the deadline heap";
        }
        // Earlier is allowed (a flush moved the writer's deadline on); later would
        // let a limit pass unnoticed.
        if (writer != nullptr && writer_deadlines_.deadline_of(index) > writer->next_deadline_ns())
            return "a writer's deadline in the heap is later than its own";
    }
    if (in_use != num_connections_) return "num_connections disagrees with the used slots";
    if (on_list[static_cast<int>(list_tag::free)] != free_list_.size())
        return "free list size disagrees with the slots";
    if (on_list[static_cast<int>(list_tag::start)] != start_list_.size())
        return "start list size disagrees with the slots";
    if (on_list[static_cast<int>(list_tag::close)] != close_list_.size())
        return "close list size disagrees with the slots";
    if (on_list[static_cast<int>(list_tag::release)] != release_list_.size())
        return "release list size disagrees with the slots";
    if (held != held_by_close_)
        return "the count of sockets holding back close disagrees with the slots";
    if (form_ == connection_form::reader_writer) {
        if (writers_.size() != slots_.size()) return "a slot has no writer's books";
        if (!writer_deadlines_.consistent()) return "the writers' deadline heap is out of order";
    } else if (!writers_.empty() || !writer_deadlines_.empty()) {
        return "a socket-form server keeps writers' books";
    }
    std::uint32_t owed = 0;
    for (std::uint32_t i = notice_head_; i != detail::nil_index; i = slots_[i].notice_next) {
        if (i >= slots_.size() || !slots_[i].in_use ||
            slots_[i].late_write != late_write_state::pending) {
            return "the notice list holds a slot that owes no late-write notice";
        }
        if (++owed > slots_.size()) return "the notice list has a cycle";
    }
    for (const detail::slot& s : slots_) {
        if (s.in_use && s.late_write == late_write_state::pending && owed-- == 0) {
            return "a slot owes a late-write notice but is not on the notice list";
        }
    }

    // At most one accept step, and its buffer matches its phase.
    if (batch_sockets_.size() > opts_.max_accepts_per_batch)
        return "batch holds more sockets than max_accepts_per_batch";
    if (phase_ == accept_phase::batching) {
        if (batch_budget_ < 1 || batch_budget_ > opts_.max_accepts_per_batch)
            return "batch budget out of range";
        if (batch_attempts_ > batch_budget_) return "batch made more attempts than its budget";
        if (batch_sockets_.size() > batch_attempts_)
            return "batch holds more sockets than attempts";
        if (batch_shed_ && !batch_sockets_.empty()) return "a shed batch holds sockets";
        if (num_connections_ + batch_sockets_.size() > opts_.max_connections) {
            return "batch would overfill the server";
        }
        if (dropping_batch_) return "a batch runs while the previous one is being dropped";
    } else if (!dropping_batch_ && !batch_sockets_.empty()) {
        return "batch sockets held outside a batch and not being dropped";
    }
    if (dropping_batch_ && drop_cursor_ >= batch_sockets_.size())
        return "drop cursor past the batch";

    // Close.
    if (listener_ != listener_state::open && !closed_)
        return "listener closing while the server is open";
    if (closed_ && listener_ == listener_state::open)
        return "server closed but its listener is not closing";
    if (closed_ && (phase_ == accept_phase::waiting_readable || phase_ == accept_phase::readable)) {
        return "an accept step waits after close";
    }
    if (closed_ && !start_list_.empty()) return "handlers wait to start after close";
    if (close_completed_ && listener_ != listener_state::closed)
        return "close completed before the listener closed";
    if (handlers_finished_ && (!close_completed_ || num_connections_ != 0))
        return "handlers_finished fired with connections left";
    if (fatal_error_pending_ && !closed_)
        return "a fatal accept error is pending on an open server";

    // The reserve.
    if (opts_.on_accept_exhaustion == exhaustion_mode::back_off &&
        reserve_ != reserve_state::unused)
        return "a server that backs off keeps a reserve";
    if (reserve_ == reserve_state::released &&
        !(phase_ == accept_phase::readable || phase_ == accept_phase::batching ||
          listener_ != listener_state::open)) {
        return "the reserve is released outside a shed batch";
    }
    return nullptr;
}

}  // namespace berth::core
