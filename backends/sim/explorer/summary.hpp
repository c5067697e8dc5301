// The explorer's report: the summary table and the progress bar.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>

#include "berth/sim/swarm.hpp"

namespace berth::sim::explorer {

/// `cpu` is the process's CPU time: on a shared machine the wall-clock rates
/// measure the neighbours as much as the simulator.
void print_summary(std::ostream& os, std::uint64_t runs, std::uint64_t failures,
                   const run_stats& total, std::chrono::nanoseconds elapsed,
                   std::chrono::nanoseconds cpu);

/// Draws a progress bar on stderr once a run has taken longer than a second.
class progress {
public:
    progress(std::uint64_t total, bool enabled);
    void update(std::uint64_t done);
    void finish();

private:
    std::uint64_t total_;
    bool enabled_;
    bool drawn_ = false;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_;
};

}  // namespace berth::sim::explorer
