// The buffered writer of `create` (SEMANTICS.md section 7): uv_write in bounded
// chunks, so that the tracker hears of progress while a slow peer reads; the
// books (age limit, departed peer, final flush) are core::writer_tracker's.
#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>

#include "berth/core/detail/assert.hpp"
#include "berth/driver/writer_verdict.hpp"
#include "server_impl.hpp"

namespace berth::uv::detail {

namespace {

// At most this much per uv_write: progress reaches the tracker chunk by chunk.
constexpr std::size_t write_chunk_bytes = 256 * 1024;

}  // namespace

void server_impl::writer_write(connection& c, std::string_view data) {
    BERTH_ASSERT(c.st.has_value());
    if (data.empty() || c.fd_closed || c.released) return;
    if (!c.st->tracker.on_buffered(now_ns(), data.size())) return;
    c.st->out.append(data);
    if (!c.st->write_pending) start_write(c);
    evaluate_writer(c);
}

void server_impl::start_write(connection& c) {
    stream_state& s = *c.st;
    BERTH_ASSERT(!s.write_pending);
    const std::span<char> next = s.out.next();
    if (next.empty()) return;
    s.in_flight_bytes = std::min(write_chunk_bytes, next.size());
    uv_buf_t buf = uv_buf_init(next.data(), static_cast<unsigned int>(s.in_flight_bytes));
    s.write_req.data = &c;
    const int rc = uv_write(&s.write_req, c.uv_stream(), &buf, 1, on_write);
    if (rc != 0) {
        s.in_flight_bytes = 0;
        s.tracker.on_write_error(-rc);
        return;
    }
    s.write_pending = true;
}

void server_impl::on_write(uv_write_t* req, int status) {
    auto* c = static_cast<connection*>(req->data);
    c->owner->on_written(*c, status);
}

void server_impl::on_written(connection& c, int status) {
    stream_state& s = *c.st;
    s.write_pending = false;
    if (c.fd_closed) return;  // cancelled by the close: nothing left to account for
    if (status == 0) {
        s.out.sent(s.in_flight_bytes);
        s.tracker.on_flushed(now_ns(), s.in_flight_bytes);
        s.in_flight_bytes = 0;
        if (s.tracker.bytes_waiting() > 0) start_write(c);
    } else {
        s.in_flight_bytes = 0;
        s.tracker.on_write_error(-status);  // libuv's errors are negated errno values
    }
    evaluate_writer(c);
}

void server_impl::evaluate_writer(connection& c) {
    if (c.fd_closed) return;
    stream_state& s = *c.st;
    const driver::writer_verdict verdict =
        driver::judge_writer(s.tracker, s.writer_reported, c.id, now_ns());
    if (verdict.waiting) {
        if (verdict.check_at_ns != s.check_at_ns) {
            s.check_at_ns = verdict.check_at_ns;
            arm_connection_timer(c, verdict.check_at_ns);
        }
        return;
    }
    if (verdict.report) {
        decide(c, verdict.error);
        feed(*verdict.report);
    }
    // A stopped writer, or one done with its final flush, closes without waiting.
    if (c.closing) finish_close(c);
}

}  // namespace berth::uv::detail

namespace berth::uv {

void writer::write(std::string_view data) {
    connection_->owner->writer_write(*connection_, data);
}

std::uint64_t writer::bytes_waiting() const {
    return connection_->st->tracker.bytes_waiting();
}

bool writer::accepts_writes() const {
    return !connection_->fd_closed && connection_->st->tracker.accepts_writes();
}

void reader::read_some(std::span<char> into, size_callback done) {
    BERTH_ASSERT(done != nullptr);
    connection_->owner->request_read(*connection_, detail::read_kind::some, into, std::move(done),
                                     nullptr);
}

void reader::read_exactly(std::span<char> into, size_callback done) {
    BERTH_ASSERT(done != nullptr);
    connection_->owner->request_read(*connection_, detail::read_kind::exactly, into,
                                     std::move(done), nullptr);
}

void reader::read_line(line_callback done) {
    BERTH_ASSERT(done != nullptr);
    connection_->owner->request_read(*connection_, detail::read_kind::line, {}, nullptr,
                                     std::move(done));
}

bool reader::at_end() const {
    const detail::stream_state& s = *connection_->st;
    return s.at_end && s.in_head == s.in.size();
}

int reader::end_reason() const {
    return connection_->st->at_end ? connection_->st->end_reason : 0;
}

}  // namespace berth::uv
