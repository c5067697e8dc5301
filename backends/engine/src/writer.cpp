// The buffered writer (berth/writer.hpp) and the output side of a connection. The
// books (how much the writer may hold, how long, what a failed write means, when the
// final flush is over) are the core's (core/src/writer_books.cpp): the engine tells
// it what was written and what went out, and moves the bytes.
//
// What a handler writes goes out when it next awaits something (or ends): the
// replies to a burst of requests the reader already holds leave in one write, and a
// reply written in pieces leaves whole, without a trip through the loop. What is
// written while a write is in flight goes out with the next one, as soon as the one
// in flight completes. What is written into a connection whose handler is
// suspended (another handler's broadcast) goes out at once.
#include <algorithm>

#include "berth/core/detail/assert.hpp"
#include "berth/engine/server.hpp"

namespace berth::engine {

namespace {

// At most this much per write: the books hear of progress piece by piece while a
// slow peer reads, so the age limit measures the peer, not the piece.
constexpr std::size_t write_piece_bytes_max = 256 * 1024;

}  // namespace

void connection::write(std::string_view data) {
    if (data.empty() || handler_done_) return;
    owner_->feed(core::events::bytes_buffered{id_, data.size()});  // may close this connection
    const core::writer_tracker* books = owner_->core_.writer_of(id_);
    if (books == nullptr || !books->accepts_writes() || closing_) return;  // refused: dropped
    output_.append(data);
    // Written while this connection's handler is suspended: by another handler (a
    // broadcast), a timer or a signal. The handler's next await, which would start
    // the flush, may never come (it waits for its client to speak), so the bytes
    // go out now. The handler's own writes still batch until it awaits.
    if (waiting_ != waiting_for::nothing) flush();
}

void connection::flush() {
    if (write_pending_ || closing_ || io_ == nullptr) return;
    const std::span<const char> next = output_.next();
    if (next.empty()) return;
    in_flight_bytes_ = std::min(next.size(), write_piece_bytes_max);
    write_pending_ = true;
    io_->write(next.first(in_flight_bytes_));
}

void connection::on_written(std::size_t bytes, int error_value) {
    const server::turn t(*owner_);
    BERTH_ASSERT(write_pending_);
    write_pending_ = false;
    if (closing_) return;
    if (waiting_ == waiting_for::write) {
        // A stream write: the rest of the handler's bytes, or the end of it.
        write_from_ = write_from_.subspan(std::min(bytes, write_from_.size()));
        last_written_ += bytes;
        last_write_error_ = error_value;
        if (error_value == 0 && !write_from_.empty()) {
            write_pending_ = true;
            io_->write(write_from_);
            return;
        }
        progress();
        return;
    }
    if (bytes > 0) {
        output_.sent(bytes);
        owner_->feed(core::events::bytes_flushed{id_, bytes});
    }
    if (error_value != 0) owner_->feed(core::events::write_failed{id_, error_value});
    if (closing_) return;  // the books decided the socket closes now
    flush();
    progress();
}

std::uint64_t connection::bytes_buffered() const {
    const core::writer_tracker* books = owner_->core_.writer_of(id_);
    return books != nullptr ? books->bytes_waiting() : 0;
}

bool connection::accepts_writes() const {
    const core::writer_tracker* books = owner_->core_.writer_of(id_);
    return books != nullptr && books->accepts_writes() && !closing_;
}

bool connection::flush_settled(bool& flushed) const {
    const core::writer_tracker* books = owner_->core_.writer_of(id_);
    if (closing_ || books == nullptr || !books->flushing()) {
        flushed = false;
        return true;
    }
    flushed = output_.size() == 0 && !write_pending_;
    return flushed;
}

void connection::await_flushed(berth::detail::operation& op) {
    wait(waiting_for::flush, &op, op.waiting, core::no_deadline_ns);
}

}  // namespace berth::engine

namespace berth::detail {

bool flush_operation::on_progress() {
    return connection_->flush_settled(flushed_);
}

void flush_operation::await_suspend(std::coroutine_handle<> h) {
    waiting = h;
    connection_->await_flushed(*this);
}

}  // namespace berth::detail

namespace berth {

void writer::write(std::string_view data) {
    connection_->write(data);
}

detail::flush_operation writer::flushed() {
    return detail::flush_operation(*connection_);
}

std::uint64_t writer::bytes_buffered() const {
    return connection_->bytes_buffered();
}

bool writer::accepts_writes() const {
    return connection_->accepts_writes();
}

std::uint64_t writer::buffer_limit_bytes() const {
    return connection_->owner().core().opts().buffer_limit_bytes;
}

}  // namespace berth
