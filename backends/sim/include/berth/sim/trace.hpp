/// @file
/// What happened in a run, as numbers. Every record feeds a running hash, so
/// two runs of the same seed can be compared cheaply; records are kept only when
/// asked (a text dump, or Chrome's Trace Event format for Perfetto).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <vector>

#include "berth/core/types.hpp"

namespace berth::sim {

using core::time_ns;

/// What a record is about; a, b and c are its numbers.
enum class trace_kind : std::uint8_t {
    step,               ///< a = step number
    connect,            ///< a = client endpoint
    connect_queued,     ///< a = client endpoint, b = queue length after
    connect_overflow,   ///< a = client endpoint, b = attempt
    connect_failed,     ///< a = client endpoint, b = errno
    listener_readable,  ///< a = queue length
    accept_batch,       ///< a = max_sockets, b = shed
    accepted,           ///< a = descriptor handle
    accept_error,       ///< a = errno, b = injected
    batch_done,         ///< no numbers
    handler_start,      ///< a = connection key, b = descriptor handle
    handler_end,        ///< a = connection key, b = 1 if it failed
    socket_close,       ///< a = connection key, b = handler started
    socket_closed,      ///< a = connection key
    dropped_close,      ///< a = descriptor handle
    listener_close,     ///< no numbers
    listener_closed,    ///< no numbers
    release,            ///< a = connection key, b = outcome, c = policy
    notice,             ///< a = notice kind, b = errno
    raised,             ///< a = 1 handler error, 2 accept error, 3 call hook threw
    close_called,       ///< a = close_existing_connections
    drop_set,           ///< a = on
    complete_close,     ///< no numbers
    complete_handlers,  ///< no numbers
    listener_wait,      ///< wait_readable
    shed,               ///< a socket of a shed batch, closed at once
    buffered,           ///< a = connection key, b = bytes the handler wrote
    flushed,            ///< a = connection key, b = bytes the kernel took
    write_failed,       ///< a = connection key, b = errno
    extra_completion,   ///< a = connection key
    timer_fired,        ///< no numbers
    reserve,            ///< a = 0 action (b = hold 1 / release 0), 1 reported (b = held)
    counters,           ///< a = num_connections, b = descriptors in use, c = listen queue
    client_done,        ///< a = client number, b = outcome code
    fault,              ///< a = fault kind code, b = errno or detail
};

/// The enumerator's name ("accept_batch").
/// @param kind the kind to name.
/// @return a static string, valid for the life of the program.
[[nodiscard]] const char* to_string(trace_kind kind);

/// One thing that happened.
struct trace_record {
    time_ns at_ns = 0;                   ///< virtual time
    trace_kind kind = trace_kind::step;  ///< what
    std::uint64_t a = 0;                 ///< per kind (trace_kind)
    std::uint64_t b = 0;                 ///< per kind
    std::uint64_t c = 0;                 ///< per kind
};

/// The world's trace: a running hash of every record, and the records when asked.
/// Not thread safe; the world owns it.
class trace {
public:
    /// Keep every record (for a dump or a Chrome trace), not only the hash.
    /// @param on from now on; records already made are not recovered.
    void set_recording(bool on) { recording_ = on; }
    /// Keep the hash after every step, to find the first step two runs disagree on.
    /// @param on from now on.
    void set_step_hashes(bool on) { step_hashes_on_ = on; }

    /// Mixes a record into the hash, and keeps it when recording.
    /// @param at_ns the virtual time.
    /// @param kind what happened.
    /// @param a,b,c its numbers, as trace_kind says.
    void record(time_ns at_ns, trace_kind kind, std::uint64_t a = 0, std::uint64_t b = 0,
                std::uint64_t c = 0) {
        mix(static_cast<std::uint64_t>(at_ns));
        mix(static_cast<std::uint64_t>(kind));
        mix(a);
        mix(b);
        mix(c);
        ++count_;
        if (recording_) records_.push_back(trace_record{at_ns, kind, a, b, c});
    }

    /// A world step ended: keeps the hash when step hashes are on.
    void end_step() {
        if (step_hashes_on_) step_hashes_.push_back(hash_);
    }

    /// The hash of every record so far: equal for two runs of one seed.
    [[nodiscard]] std::uint64_t hash() const { return hash_; }
    /// Records made so far, kept or not.
    [[nodiscard]] std::uint64_t count() const { return count_; }
    /// The records kept while recording; valid until the next record().
    [[nodiscard]] const std::vector<trace_record>& records() const { return records_; }
    /// The hash after each step, while step hashes were on.
    [[nodiscard]] const std::vector<std::uint64_t>& step_hashes() const { return step_hashes_; }

    /// One line per record: "12.000345 ms accepted a=5 b=0 c=0".
    /// @param os the stream written to.
    void write_text(std::ostream& os) const;
    /// Chrome's Trace Event format (JSON object with "traceEvents").
    /// @param os the stream written to.
    /// @param seed named in the trace's metadata.
    void write_chrome_json(std::ostream& os, std::uint64_t seed) const;

private:
    // FNV-1a over 64-bit words instead of bytes (8 times fewer multiplications),
    // with a shift to carry high bits down.
    void mix(std::uint64_t v) {
        hash_ = (hash_ ^ v) * 0x100000001b3ULL;
        hash_ ^= hash_ >> 29;
    }

    bool recording_ = false;
    bool step_hashes_on_ = false;
    std::uint64_t hash_ = 0xcbf29ce484222325ULL;
    std::uint64_t count_ = 0;
    std::vector<trace_record> records_;
    std::vector<std::uint64_t> step_hashes_;
};

/// One record as write_text writes it, without the newline.
/// @param os the stream written to.
/// @param r the record.
void write_record_text(std::ostream& os, const trace_record& r);

}  // namespace berth::sim
