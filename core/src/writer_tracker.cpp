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
        case writer_status::peer_gone: return "peer_gone";
        case writer_status::failed: return "failed";
    }
    return "unknown";
}

writer_tracker::writer_tracker(time_ns buffer_age_limit_ns, time_ns final_flush_timeout_ns)
    : buffer_age_limit_ns_(buffer_age_limit_ns),
      final_flush_timeout_ns_(final_flush_timeout_ns),
      mark_spacing_ns_(buffer_age_limit_ns == unlimited_age_ns
                           ? no_deadline_ns
                           : std::max<time_ns>(buffer_age_limit_ns / 16, 1)) {
    BERTH_ASSERT(buffer_age_limit_ns > 0);
    BERTH_ASSERT(final_flush_timeout_ns >= 0);
}

bool writer_tracker::on_buffered(time_ns now_ns, std::uint64_t bytes) {
    if (status_ != writer_status::open) return false;
    if (bytes == 0) return true;
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
    if (status_ != writer_status::open && status_ != writer_status::final_flush) return;
    error_value_ = error_value;
    stop(is_peer_gone_error(error_value) ? writer_status::peer_gone : writer_status::failed);
}

void writer_tracker::begin_close(time_ns now_ns) {
    if (status_ != writer_status::open) return;
    status_ = writer_status::final_flush;
    final_flush_deadline_ns_ = final_flush_timeout_ns_ > no_deadline_ns - now_ns
                                   ? no_deadline_ns
                                   : now_ns + final_flush_timeout_ns_;
}

writer_status writer_tracker::check(time_ns now_ns) {
    if (status_ != writer_status::open && status_ != writer_status::final_flush) return status_;
    if (buffer_age_limit_ns_ != unlimited_age_ns && oldest_age_ns(now_ns) > buffer_age_limit_ns_) {
        age_at_failure_ns_ = oldest_age_ns(now_ns);
        bytes_at_failure_ = bytes_waiting();
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
    if (status_ != writer_status::open && status_ != writer_status::final_flush) {
        return no_deadline_ns;
    }
    time_ns deadline = no_deadline_ns;
    if (buffer_age_limit_ns_ != unlimited_age_ns && marks_count_ > 0) {
        // The first moment at which the age exceeds the limit.
        deadline = marks_[marks_head_].buffered_at_ns + buffer_age_limit_ns_ + 1;
    }
    if (status_ == writer_status::final_flush) {
        deadline = std::min(deadline, final_flush_deadline_ns_);
    }
    return deadline;
}

}  // namespace berth::core
