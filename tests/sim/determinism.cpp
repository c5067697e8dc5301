// The same seed gives the same trace, byte for byte (the determinism rule).
#include <sstream>

#include <doctest/doctest.h>

#include "berth/sim/swarm.hpp"

namespace berth::sim {

namespace {

// The first step after which two runs' trace hashes differ, or -1.
long long first_difference(const std::vector<std::uint64_t>& a,
                           const std::vector<std::uint64_t>& b) {
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        if (a[i] != b[i]) return static_cast<long long>(i + 1);
    }
    return a.size() == b.size() ? -1 : static_cast<long long>(n + 1);
}

}  // namespace

TEST_CASE("the same seed gives the same trace, step by step") {
    run_options options;
    options.step_hashes = true;
    for (std::uint64_t seed = 1; seed <= 150; ++seed) {
        const run_result first = run_swarm(seed, options);
        const run_result second = run_swarm(seed, options);
        const long long step =
            first_difference(first.trace.step_hashes(), second.trace.step_hashes());
        INFO("seed " << seed << " first differs at step " << step);
        CHECK(step == -1);
        CHECK(first.trace_hash == second.trace_hash);
        CHECK(first.ok == second.ok);
    }
}

TEST_CASE("different seeds give different runs") {
    CHECK(run_swarm(1).trace_hash != run_swarm(2).trace_hash);
}

TEST_CASE("recording the trace does not change the run") {
    run_options recording;
    recording.record = true;
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        const run_result plain = run_swarm(seed);
        const run_result recorded = run_swarm(seed, recording);
        CHECK(plain.trace_hash == recorded.trace_hash);
        CHECK(recorded.trace.records().size() == recorded.trace.count());
        std::ostringstream json;
        recorded.trace.write_chrome_json(json, seed);
        CHECK(json.str().find("\"traceEvents\"") != std::string::npos);
    }
}

}  // namespace berth::sim
