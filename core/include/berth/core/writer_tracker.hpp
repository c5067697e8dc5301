/// @file
/// The bookkeeping of one connection's buffered writer (SEMANTICS.md section 7),
/// without the writing: bytes waiting against `buffer_limit_bytes`, the age of the
/// oldest unflushed byte against `buffer_age_limit`, the peer going away, and the
/// final flush's deadline. The core keeps one per `create` connection
/// (core::server), so these rules are decided once for every backend.
///
/// Time is passed in; nothing here reads a clock or allocates.
#pragma once

#include <array>
#include <cstdint>

#include "berth/core/types.hpp"

namespace berth::core {

/// Where a writer stands. Every status but `open` and `final_flush` is final until
/// the next reset().
enum class writer_status : std::uint8_t {
    open,            ///< accepting writes, flushing in the background
    final_flush,     ///< the connection's result is decided: flushing what is left
    ready_to_close,  ///< nothing left to flush, or the final flush ran out of time
    too_old,         ///< bytes waited longer than buffer_age_limit: an error result
    too_full,        ///< a write would have held more than buffer_limit_bytes: an error result
    peer_gone,       ///< the peer went away: writes are discarded, an ok result
    failed,          ///< a write failed for another reason: an error result
    discarded,       ///< the server closed the connection: what waited is dropped
};

/// Why a writer failed, for the error the policy sees. Filled once the status is
/// too_old, too_full or failed.
struct writer_failure {
    writer_status status = writer_status::open;  ///< too_old, too_full or failed
    time_ns age_ns = 0;                          ///< too_old: the age that tripped the limit
    std::uint64_t bytes_held = 0;     ///< too_old, too_full: bytes waiting at the failure
    std::uint64_t bytes_refused = 0;  ///< too_full: the write that did not fit
    std::uint64_t limit_bytes = 0;    ///< too_full: buffer_limit_bytes
    time_ns limit_ns = 0;             ///< too_old: buffer_age_limit
    int error_value = 0;              ///< failed: the write's errno
};

/// Whether a failed write means the peer went away (EPIPE, ECONNRESET, ...), which
/// ends the connection normally, rather than a fault of the server.
/// @param error_value an errno value.
/// @return true for EPIPE, ECONNRESET and the other errors of a departed peer.
[[nodiscard]] bool is_peer_gone_error(int error_value);

/// The enumerator's name ("too_full"); "unknown" for a value out of range.
/// @param status the status to name.
/// @return a static string, valid for the life of the program.
[[nodiscard]] const char* to_string(writer_status status);

/// The books of one connection's writer. A plain value with a fixed footprint; not
/// thread safe: its owner (core::server) uses it on the server's loop.
class writer_tracker {
public:
    /// An open, empty writer.
    /// @param buffer_age_limit_ns how long bytes may wait; `unlimited_age_ns` turns
    ///   the check off.
    /// @param buffer_limit_bytes the most bytes it may hold; `unlimited_bytes` for
    ///   no limit.
    /// @param final_flush_timeout_ns how long the final flush may take.
    writer_tracker(time_ns buffer_age_limit_ns, std::uint64_t buffer_limit_bytes,
                   time_ns final_flush_timeout_ns);

    /// Starts the books of a new connection: open and empty, the limits kept.
    void reset();

    /// The writer was asked to take `bytes` into its buffer. Returns false, and
    /// counts nothing, when the writer no longer accepts writes (after its result
    /// or a failure), or when they would make it hold more than its limit (then
    /// its status is too_full): the caller discards them.
    /// @param now_ns the time of the write.
    /// @param bytes the bytes written.
    /// @return whether the bytes were taken.
    bool on_buffered(time_ns now_ns, std::uint64_t bytes);

    /// The kernel took `bytes` from the buffer. Precondition: at most bytes_waiting().
    /// @param now_ns the time of the flush: the oldest byte's age restarts from the
    ///   next unflushed one.
    /// @param bytes the bytes taken.
    void on_flushed(time_ns now_ns, std::uint64_t bytes);

    /// A write failed with `error_value` (errno). Moves to peer_gone or failed,
    /// unless the writer already stopped.
    /// @param error_value the write's errno; is_peer_gone_error() tells the two apart.
    void on_write_error(int error_value);

    /// The handler's own end decided the connection's result: flush what is left,
    /// for at most the final flush timeout. A writer that stopped (too old, too
    /// full, peer gone, failed) stays as it is: its socket closes at once.
    /// @param now_ns the time the result was decided: the final flush's deadline
    ///   counts from it.
    void begin_close(time_ns now_ns);

    /// The server closes the connection at once (close_existing_connections, a
    /// drain's deadline): nothing more is flushed, what waits is dropped. A writer
    /// that already stopped keeps its status.
    void discard();

    /// Re-evaluates the age limit and the final flush deadline at `now_ns`, and
    /// returns the status. Call it at next_deadline_ns() and after each flush.
    /// @param now_ns the current time.
    /// @return the status after the check: too_old or ready_to_close when a limit
    ///   passed.
    writer_status check(time_ns now_ns);

    /// When check() must run next to notice a limit in time; no_deadline_ns if none.
    [[nodiscard]] time_ns next_deadline_ns() const;

    /// Where the writer stands now, without re-evaluating its limits.
    [[nodiscard]] writer_status status() const { return status_; }
    /// Whether on_buffered() would take bytes: the writer is open.
    [[nodiscard]] bool accepts_writes() const { return status_ == writer_status::open; }
    /// Whether bytes still go out: open, or flushing the last of them.
    [[nodiscard]] bool flushing() const {
        return status_ == writer_status::open || status_ == writer_status::final_flush;
    }
    /// Whether the writer failed: too old, too full, or a write failed (an error
    /// result). A departed peer or a discarded writer is no failure.
    /// @return true for too_old, too_full and failed.
    [[nodiscard]] bool has_failed() const {
        return status_ == writer_status::too_old || status_ == writer_status::too_full ||
               status_ == writer_status::failed;
    }
    /// Bytes taken by on_buffered() and not yet flushed (or discarded).
    [[nodiscard]] std::uint64_t bytes_waiting() const { return buffered_total_ - flushed_total_; }
    /// Age of the oldest unflushed byte, measured to within limit/16; 0 when empty.
    /// @param now_ns the current time.
    /// @return the age in nanoseconds.
    [[nodiscard]] time_ns oldest_age_ns(time_ns now_ns) const;
    /// What made the writer fail. Precondition: has_failed().
    [[nodiscard]] const writer_failure& failure() const { return failure_; }
    /// The errno of the write that failed (status failed or peer_gone); 0 if none did.
    [[nodiscard]] int error_value() const { return failure_.error_value; }
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
    std::uint64_t buffer_limit_bytes_;
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
    writer_failure failure_;
};

}  // namespace berth::core
