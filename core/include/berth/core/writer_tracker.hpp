// The bookkeeping of one connection's buffered writer (SEMANTICS.md section 7),
// without the writing: bytes waiting, the age of the oldest unflushed byte against
// `buffer_age_limit`, the peer going away, and the final flush's deadline. The
// Asio, libuv and simulated writers all keep their books here, so the age limit
// and the departed-peer rule are the same everywhere.
//
// Time is passed in; nothing here reads a clock or allocates.
#pragma once

#include <array>
#include <cstdint>

#include "berth/core/types.hpp"

namespace berth::core {

enum class writer_status : std::uint8_t {
    open,            // accepting writes, flushing in the background
    final_flush,     // the connection's result is decided: flushing what is left
    ready_to_close,  // nothing left to flush, or the final flush ran out of time
    too_old,         // bytes waited longer than buffer_age_limit: an error result
    peer_gone,       // the peer went away: writes are discarded, an ok result
    failed,          // a write failed for another reason: an error result
};

/// Whether a failed write means the peer went away (EPIPE, ECONNRESET, ...), which
/// ends the connection normally, rather than a fault of the server.
[[nodiscard]] bool is_peer_gone_error(int error_value);

[[nodiscard]] const char* to_string(writer_status status);

class writer_tracker {
public:
    /// `buffer_age_limit_ns` may be `unlimited_age_ns` (options.hpp).
    writer_tracker(time_ns buffer_age_limit_ns, time_ns final_flush_timeout_ns);

    /// The writer took `bytes` into its buffer. Returns false, and counts nothing,
    /// when the writer no longer accepts writes (after its result or a failure):
    /// the caller discards them.
    bool on_buffered(time_ns now_ns, std::uint64_t bytes);

    /// The kernel took `bytes` from the buffer. Precondition: at most bytes_waiting().
    void on_flushed(time_ns now_ns, std::uint64_t bytes);

    /// A write failed with `error_value` (errno). Moves to peer_gone or failed,
    /// unless the writer already stopped.
    void on_write_error(int error_value);

    /// The connection's result is decided: flush what is left, for at most the
    /// final flush timeout. A writer that stopped (too old, peer gone, failed)
    /// is ready to close at once.
    void begin_close(time_ns now_ns);

    /// Re-evaluates the age limit and the final flush deadline at `now_ns`, and
    /// returns the status. Call it at next_deadline_ns() and after each flush.
    writer_status check(time_ns now_ns);

    /// When check() must run next to notice a limit in time; no_deadline_ns if none.
    [[nodiscard]] time_ns next_deadline_ns() const;

    [[nodiscard]] writer_status status() const { return status_; }
    [[nodiscard]] bool accepts_writes() const { return status_ == writer_status::open; }
    [[nodiscard]] std::uint64_t bytes_waiting() const { return buffered_total_ - flushed_total_; }
    /// Age of the oldest unflushed byte, measured to within limit/16; 0 when empty.
    [[nodiscard]] time_ns oldest_age_ns(time_ns now_ns) const;
    /// The age that tripped the limit (for the error message), once too_old.
    [[nodiscard]] time_ns age_at_failure_ns() const { return age_at_failure_ns_; }
    [[nodiscard]] std::uint64_t bytes_at_failure() const { return bytes_at_failure_; }
    [[nodiscard]] int error_value() const { return error_value_; }
    /// True when the final flush gave up with bytes still waiting.
    [[nodiscard]] bool final_flush_timed_out() const { return final_flush_timed_out_; }

private:
    // Bytes up to `end_offset` (counted from the first byte ever buffered) were
    // buffered by `time_ns`. Marks are at least `mark_spacing_ns_` apart, so a
    // limit's worth of history fits in 17 of them; the rest is headroom.
    struct mark {
        std::uint64_t end_offset = 0;
        time_ns buffered_at_ns = 0;
    };
    static constexpr std::uint32_t marks_max = 32;

    void push_mark(time_ns now_ns);
    void stop(writer_status status);

    time_ns buffer_age_limit_ns_;
    time_ns final_flush_timeout_ns_;
    time_ns mark_spacing_ns_;
    writer_status status_ = writer_status::open;
    std::uint64_t buffered_total_ = 0;
    std::uint64_t flushed_total_ = 0;
    std::array<mark, marks_max> marks_{};
    std::uint32_t marks_head_ = 0;
    std::uint32_t marks_count_ = 0;
    time_ns final_flush_deadline_ns_ = no_deadline_ns;
    bool final_flush_timed_out_ = false;
    time_ns age_at_failure_ns_ = 0;
    std::uint64_t bytes_at_failure_ = 0;
    int error_value_ = 0;
};

}  // namespace berth::core
