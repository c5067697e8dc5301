// The fuzz target of the key-value handler (fuzz_handler.cpp), for the corpus
// replay (fuzz_replay_main.cpp) that every build runs.
#pragma once

#include <cstdint>
#include <span>

#include "berth/sim/fuzz.hpp"

namespace berth::examples::kv {

/// What the inputs run so far reached, for the replay's coverage check.
struct fuzz_reach {
    std::uint64_t sets_acknowledged = 0;
    std::uint64_t gets_with_value = 0;
    std::uint64_t gets_missing = 0;
    std::uint64_t errors = 0;
    std::uint64_t well_behaved_clients = 0;
};
[[nodiscard]] const fuzz_reach& fuzz_reached();

/// One input: a simulated world decoded from `bytes` (berth/sim/fuzz.hpp) serving
/// the key-value handler over a fresh store, with this example's checks.
[[nodiscard]] sim::fuzz_result run_kv_fuzz(std::span<const std::uint8_t> bytes,
                                           const sim::fuzz_run_options& options = {});

/// The target itself: handler and checks, over `s`.
[[nodiscard]] sim::fuzz_target kv_fuzz_target(class store& s);

}  // namespace berth::examples::kv
