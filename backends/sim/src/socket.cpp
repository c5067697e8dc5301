#include "berth/sim/socket.hpp"

#include <cerrno>

#include "berth/core/detail/assert.hpp"
#include "berth/sim/kernel.hpp"
#include "berth/sim/world.hpp"

namespace berth::sim {

const std::string& socket::local_address() const {
    return world_->net().ep(endpoint_).address;
}

std::string socket::peer_address() const {
    const sim::endpoint& e = world_->net().ep(endpoint_);
    return e.peer == nil ? std::string() : world_->net().ep(e.peer).address;
}

std::size_t socket::bytes_available() const {
    return world_->net().ep(endpoint_).in.size();
}

bool socket::is_closed() const {
    return world_->net().ep(endpoint_).closed;
}

// --- read_some -----------------------------------------------------------------------

bool socket::read_awaitable::await_ready() {
    if (!w->net().readable(id)) return false;
    const io_result r = w->net().read(id, result.data, max);
    result.error = r.error;
    result.eof = r.eof;
    return true;
}

void socket::read_awaitable::await_suspend(std::coroutine_handle<> h) {
    // A wake-up is only delivered once the endpoint is readable, and only this
    // reader takes from it, so the read below cannot come up empty.
    w->net().notify_readable(id, [this, h] {
        const io_result r = w->net().read(id, result.data, max);
        result.error = r.error;
        result.eof = r.eof;
        h.resume();
    });
}

// --- read_line -----------------------------------------------------------------------

bool socket::line_awaitable::try_complete() {
    std::string line;
    io_result status;
    if (!w->net().read_line(id, line, status)) return false;
    if (status.bytes > 0) {
        result.line = std::move(line);
    } else {
        result.error = status.error;
    }
    return true;
}

bool socket::line_awaitable::await_ready() {
    return try_complete();
}

// Re-arms for bytes beyond those already seen: a partial line must not wake the
// reader again until more arrives. A wake-up already queued when the read timed
// out finds the sequence moved on and leaves `this` (maybe gone) alone.
void socket::line_awaitable::arm() {
    world* self = w;
    const std::uint32_t endpoint_id = id;
    const std::uint64_t sequence = w->net().ep(id).op_sequence;
    const std::size_t seen = w->net().ep(id).in.size();
    w->net().notify_readable(
        id,
        [this, self, endpoint_id, sequence] {
            if (self->net().ep(endpoint_id).op_sequence != sequence) return;
            if (!try_complete()) {
                arm();
                return;
            }
            ++self->net().ep(endpoint_id).op_sequence;  // the timeout is now stale
            waiting.resume();
        },
        seen);
}

void socket::line_awaitable::await_suspend(std::coroutine_handle<> h) {
    waiting = h;
    arm();
    if (timeout_ns < 0) return;
    const std::uint64_t sequence = w->net().ep(id).op_sequence;
    world* self = w;
    const std::uint32_t endpoint_id = id;
    // Checks the sequence before touching `this`: a stale timeout finds the read
    // finished and does nothing, whatever became of the awaitable.
    w->post(timeout_ns, [self, endpoint_id, sequence, this] {
        sim::endpoint& e = self->net().ep(endpoint_id);
        if (e.op_sequence != sequence) return;
        ++e.op_sequence;
        e.on_readable = nullptr;
        result.timed_out = true;
        waiting.resume();
    });
}

// --- read_exactly --------------------------------------------------------------------

socket::exact_awaitable socket::read_exactly(std::size_t n) {
    BERTH_ASSERT(n >= 1);
    return exact_awaitable{world_, endpoint_, n, {}, {}};
}

bool socket::exact_awaitable::try_complete() {
    const sim::endpoint& e = w->net().ep(id);
    if (e.closed) {
        result.error = EBADF;
        return true;
    }
    const std::size_t available = e.in.size();
    if (available < wanted && e.in.error == 0 && !e.in.eof) return false;
    const int end_error = e.in.error;
    std::string bytes;
    if (available > 0) static_cast<void>(w->net().read(id, bytes, wanted));
    if (bytes.size() == wanted) {
        result.bytes = std::move(bytes);
    } else {
        result.error = end_error;
    }
    return true;
}

bool socket::exact_awaitable::await_ready() {
    return try_complete();
}

// Re-arms for bytes beyond those already seen: a part of the count must not wake
// the reader again until more arrives.
void socket::exact_awaitable::arm() {
    const std::size_t seen = w->net().ep(id).in.size();
    w->net().notify_readable(
        id,
        [this] {
            if (!try_complete()) {
                arm();
                return;
            }
            waiting.resume();
        },
        seen);
}

void socket::exact_awaitable::await_suspend(std::coroutine_handle<> h) {
    waiting = h;
    arm();
}

// --- writing -------------------------------------------------------------------------

socket::write_awaitable socket::write_all(std::string_view data) {
    sim::endpoint& e = world_->net().ep(endpoint_);
    e.send_error = 0;
    world_->net().send(endpoint_, data);
    return write_awaitable{world_, endpoint_};
}

bool socket::write_awaitable::await_ready() const {
    const sim::endpoint& e = w->net().ep(id);
    return e.outbox.empty() || e.send_error != 0 || e.closed;
}

void socket::write_awaitable::await_suspend(std::coroutine_handle<> h) const {
    w->net().notify_outbox_empty(id, [h] { h.resume(); });
}

int socket::write_awaitable::await_resume() const {
    const sim::endpoint& e = w->net().ep(id);
    if (e.send_error != 0) return e.send_error;
    if (!e.outbox.empty()) return e.closed ? EBADF : EPIPE;
    return 0;
}

void socket::send(std::string_view data) {
    world_->net().send(endpoint_, data);
}

void socket::shutdown_write() {
    world_->net().shutdown_write(endpoint_);
}

void socket::close() {
    world_->net().close_endpoint(endpoint_, false);
}

void socket::reset() {
    world_->net().close_endpoint(endpoint_, true);
}

}  // namespace berth::sim
