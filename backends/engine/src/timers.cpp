// The server's one timer (SEMANTICS.md section 10: the core's deadline) carries the
// connections' deadlines too: a read's timeout, a sleep, a backend's own bound. The
// engine keeps those in a heap by slot and arms the backend's timer at the earliest
// of everything, so a server with ten thousand sleeping handlers has one timer.
//
// And the awaited operation of each connection: at most one at a time (a handler
// is one chain of coroutines), resumed as the last thing the engine does with it.
#include <algorithm>

#include "berth/core/detail/assert.hpp"
#include "berth/engine/server.hpp"

namespace berth::engine {

void server::arm_timer() {
    const core::time_ns at_ns = std::min(core_deadline_ns_, deadlines_.earliest_ns());
    if (at_ns == timer_at_ns_) return;
    timer_at_ns_ = at_ns;
    io_->arm_timer(at_ns);
}

void server::on_timer() {
    timer_at_ns_ = core::no_deadline_ns;
    const core::time_ns now_ns = io_->now_ns();
    if (core_deadline_ns_ <= now_ns) feed(core::events::timer_fired{});
    expire_operations(now_ns);
    arm_timer();
}

// Bounded: each turn removes a deadline, and a connection only puts back a later one.
void server::expire_operations(core::time_ns now_ns) {
    while (!deadlines_.empty() && deadlines_.earliest_ns() <= now_ns) {
        const std::uint32_t index = deadlines_.pop();
        BERTH_ASSERT(index < connections_.size() && connections_[index] != nullptr);
        connections_[index]->on_deadline(now_ns);  // may resume the handler: last use
    }
}

void server::schedule(connection& c) {
    const std::uint32_t index = c.id().index;
    deadlines_.cancel(index);
    if (const core::time_ns at_ns = c.deadline_ns(); at_ns != core::no_deadline_ns) {
        deadlines_.schedule_no_later(index, at_ns);
    }
    if (!draining_) arm_timer();  // a drain arms it when it ends
}

void server::unschedule(const connection& c) {
    deadlines_.cancel(c.id().index);
}

// Released from the loop, never inside a call on this server, so that nothing
// running here finds it gone.
void server::keep_alive_while_serving() {
    if (self_ == nullptr || !core_.handlers_finished()) return;
    io_->post([last = std::move(self_)] {});
}

core::time_ns connection::deadline_ns() const {
    return std::min(op_deadline_ns_, io_deadline_ns_);
}

void connection::arm_io_deadline(core::time_ns deadline_ns) {
    io_deadline_ns_ = deadline_ns;
    owner_->schedule(*this);
}

void connection::on_deadline(core::time_ns now_ns) {
    if (io_deadline_ns_ <= now_ns) {
        io_deadline_ns_ = core::no_deadline_ns;
        if (io_ != nullptr) io_->on_io_deadline();
    }
    if (op_deadline_ns_ > now_ns) {
        owner_->schedule(*this);
        return;
    }
    op_deadline_ns_ = core::no_deadline_ns;
    if (waiting_ != waiting_for::sleep) op_->on_timeout();
    complete_operation();
}

void connection::resume_after(std::coroutine_handle<> h, std::chrono::nanoseconds delay) {
    const core::time_ns now_ns = owner_->io_->now_ns();
    const core::time_ns delay_ns = std::max<core::time_ns>(delay.count(), 0);
    wait(waiting_for::sleep, nullptr, h,
         delay_ns > core::no_deadline_ns - now_ns ? core::no_deadline_ns : now_ns + delay_ns);
}

// The handler suspends here, for whatever it awaits: what it wrote goes out now.
void connection::wait(waiting_for what, berth::detail::operation* op, std::coroutine_handle<> h,
                      core::time_ns deadline_ns) {
    BERTH_ASSERT(waiting_ == waiting_for::nothing);  // one operation at a time
    BERTH_ASSERT(h);
    flush();
    waiting_ = what;
    op_ = op;
    sleeper_ = h;
    op_deadline_ns_ = deadline_ns;
    if (deadline_ns != core::no_deadline_ns) owner_->schedule(*this);
}

// After anything that may complete the awaited operation (a sleep completes only
// at its deadline).
void connection::progress() {
    if (waiting_ == waiting_for::nothing || waiting_ == waiting_for::sleep) return;
    if (waiting_ == waiting_for::write && write_pending_) return;
    if (op_->on_progress()) {
        complete_operation();
    } else if (waiting_ == waiting_for::input) {
        fill();
    }
}

void connection::complete_operation() {
    const std::coroutine_handle<> h = sleeper_;
    const bool had_deadline = op_deadline_ns_ != core::no_deadline_ns;
    waiting_ = waiting_for::nothing;
    op_ = nullptr;
    sleeper_ = {};
    op_deadline_ns_ = core::no_deadline_ns;
    if (had_deadline) owner_->schedule(*this);
    h.resume();
}

}  // namespace berth::engine
