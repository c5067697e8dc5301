#include "berth/core/writer_tracker.hpp"

#include <algorithm>
#include <cerrno>

#include "berth/core/detail/assert.hpp"
#include "berth/core/options.hpp"

namespace berth::core {

bool is_peer_gone_error(int error_value) {
    switch (error_value) {
        case EPIPE:
        case ECONNRESET:
        case ENOTCONN:
        case ESHUTDOWN:
        case ECONNABORTED:
        case ETIMEDOUT:  // keep-alive or retransmission gave up on the peer
            return true;
        default: return false;
    }
}

const char* to_string(writer_status status) {
    switch (status) {
        case writer_status::open: return "open";
        case writer_status::final_flush: return "final_flush";
        case writer_status::ready_to_close: return "ready_to_close";
        case writer_status::too_old: return "too_old";
        case writer_status::too_full: return "too_full";
        case writer_status::peer_gone: return "peer_gone";
        case writer_status::failed: return "failed";
        case writer_status::discarded: return "discarded";
    }
    return "unknown";
}

writer_tracker::writer_tracker(time_ns buffer_age_limit_ns, std::uint64_t buffer_limit_bytes,
                               time_ns final_flush_timeout_ns)
    : buffer_age_limit_ns_(buffer_age_limit_ns),
      buffer_limit_bytes_(buffer_limit_bytes),
      final_flush_timeout_ns_(final_flush_timeout_ns),
      mark_spacing_ns_(buffer_age_limit_ns == unlimited_age_ns
                           ? no_deadline_ns
                           : std::max<time_ns>(buffer_age_limit_ns / 16, 1)) {
    BERTH_ASSERT(buffer_age_limit_ns > 0);
    BERTH_ASSERT(buffer_limit_bytes > 0);
    BERTH_ASSERT(final_flush_timeout_ns >= 0);
}

// The marks need no clearing: only the first marks_count_ of them are ever read.
void writer_tracker::reset() {
    status_ = writer_status::open;
    buffered_total_ = 0;
    flushed_total_ = 0;
    marks_head_ = 0;
    marks_count_ = 0;
    final_flush_deadline_ns_ = no_deadline_ns;
    final_flush_timed_out_ = false;
    failure_ = writer_failure{};
}

// The limit is checked before anything is counted, so a refused write leaves the
// books as they were, apart from the failure it records: a writer never holds more
// than its limit, even for a moment.
bool writer_tracker::on_buffered(time_ns now_ns, std::uint64_t bytes) {
    if (status_ != writer_status::open) return false;
    if (bytes == 0) return true;
    if (buffer_limit_bytes_ != unlimited_bytes && bytes > buffer_limit_bytes_ - bytes_waiting()) {
        failure_.bytes_held = bytes_waiting();
        failure_.bytes_refused = bytes;
        failure_.limit_bytes = buffer_limit_bytes_;
        failure_.status = writer_status::too_full;
        stop(writer_status::too_full);
        return false;
    }
    buffered_total_ += bytes;
    if (buffer_age_limit_ns_ != unlimited_age_ns) push_mark(now_ns);
    return true;
}

// Records that the bytes up to buffered_total_ were buffered by now. Close marks
// are merged into the newest one, which dates the merged bytes a little early: the
// age errs towards tripping the limit by at most the spacing, never towards
// missing it.
void writer_tracker::push_mark(time_ns now_ns) {
    if (marks_count_ > 0) {
        mark& newest = marks_[(marks_head_ + marks_count_ - 1) % marks_max];
        if (now_ns - newest.buffered_at_ns < mark_spacing_ns_ || marks_count_ == marks_max) {
            newest.end_offset = buffered_total_;
            return;
        }
    }
    marks_[(marks_head_ + marks_count_) % marks_max] = mark{buffered_total_, now_ns};
    ++marks_count_;
}

void writer_tracker::on_flushed(time_ns, std::uint64_t bytes) {
    BERTH_ASSERT(bytes <= bytes_waiting());
    flushed_total_ += bytes;
    while (marks_count_ > 0 && marks_[marks_head_].end_offset <= flushed_total_) {
        marks_head_ = (marks_head_ + 1) % marks_max;
        --marks_count_;
    }
}

time_ns writer_tracker::oldest_age_ns(time_ns now_ns) const {
    if (marks_count_ == 0) return 0;
    return now_ns - marks_[marks_head_].buffered_at_ns;
}

void writer_tracker::stop(writer_status status) {
    status_ = status;
    // Nothing more will be flushed: what waits is discarded.
    flushed_total_ = buffered_total_;
    marks_count_ = 0;
}

void writer_tracker::on_write_error(int error_value) {
    if (!flushing()) return;
    const writer_status status =
        is_peer_gone_error(error_value) ? writer_status::peer_gone : writer_status::failed;
    failure_.error_value = error_value;
    failure_.status = status;
    stop(status);
}

void writer_tracker::begin_close(time_ns now_ns) {
    if (status_ != writer_status::open) return;
    status_ = writer_status::final_flush;
    // Guarded the way round that cannot overflow: the timeout is never negative,
    // while `now_ns` may be (no_deadline_ns - now_ns would then overflow).
    final_flush_deadline_ns_ = now_ns > no_deadline_ns - final_flush_timeout_ns_
                                   ? no_deadline_ns
                                   : now_ns + final_flush_timeout_ns_;
}

void writer_tracker::discard() {
    if (flushing()) stop(writer_status::discarded);
}

writer_status writer_tracker::check(time_ns now_ns) {
    if (!flushing()) return status_;
    if (buffer_age_limit_ns_ != unlimited_age_ns && oldest_age_ns(now_ns) > buffer_age_limit_ns_) {
        failure_.age_ns = oldest_age_ns(now_ns);
        failure_.bytes_held = bytes_waiting();
        failure_.limit_ns = buffer_age_limit_ns_;
        failure_.status = writer_status::too_old;
        stop(writer_status::too_old);
        return status_;
    }
    if (status_ == writer_status::final_flush) {
        if (bytes_waiting() == 0) {
            status_ = writer_status::ready_to_close;
        } else if (now_ns >= final_flush_deadline_ns_) {
            final_flush_timed_out_ = true;
            stop(writer_status::ready_to_close);
        }
    }
    return status_;
}

time_ns writer_tracker::next_deadline_ns() const {
    if (!flushing()) return no_deadline_ns;
    time_ns deadline = no_deadline_ns;
    if (buffer_age_limit_ns_ != unlimited_age_ns && marks_count_ > 0) {
        // The first moment at which the age exceeds the limit; a time too late to
        // add to is no deadline at all.
        const time_ns oldest_ns = marks_[marks_head_].buffered_at_ns;
        if (oldest_ns < no_deadline_ns - buffer_age_limit_ns_ - 1) {
            deadline = oldest_ns + buffer_age_limit_ns_ + 1;
        }
    }
    if (status_ == writer_status::final_flush) {
        deadline = std::min(deadline, final_flush_deadline_ns_);
    }
    return deadline;
}

}  // namespace berth::core
