// One event loop of berth-load: its share of the connections, its own epoll set,
// its own counters. Workers meet once, when every connection of every worker is
// set up, and share the start time from then on.
#pragma once

#include <array>
#include <atomic>
#include <barrier>
#include <cstdint>

#include "histogram.hpp"
#include "load_options.hpp"

namespace berth::load {

/// Failures by cause: an errno value, a reply that differs from what was sent, or the
/// server closing a connection the client still used.
struct failure_counts {
    static constexpr int errno_slots = 192;
    std::array<std::uint64_t, errno_slots> by_errno{};
    std::uint64_t mismatch = 0;  // echoed bytes differ from the bytes sent
    std::uint64_t eof = 0;       // the server closed a connection with replies owed

    void add_errno(int e) {
        ++by_errno[static_cast<std::size_t>(e >= 0 && e < errno_slots ? e : 0)];
    }
    [[nodiscard]] std::uint64_t total() const;
    void merge(const failure_counts& other);
};

struct worker_result {
    histogram latency;             // churn: connect; others: round trip of one line
    histogram echo_latency;        // churn --echo: the round trip after connecting
    std::uint64_t operations = 0;  // in the measured window: cycles or lines echoed
    std::uint64_t lines_sent = 0;  // in the measured window
    std::uint64_t bytes_sent = 0;
    std::uint64_t bytes_received = 0;
    std::uint64_t connects = 0;  // successful connects, the whole run
    failure_counts failures;     // the whole run, set-up and warm-up included
    bool setup_complete = true;  // every connection was up before the start
};

/// Runs connections [first, first + count) of `opts.connections` until the end of
/// the measured window; `rate_share` is this worker's part of --rate. Once its
/// connections are set up it waits at `ready`, whose completion stores the common
/// start time in `start_ns`.
void run_worker(const load_options& opts, int first, int count, double rate_share,
                std::barrier<void (*)() noexcept>& ready, const std::atomic<std::int64_t>& start_ns,
                worker_result& out);

[[nodiscard]] std::int64_t monotonic_ns();

}  // namespace berth::load
