// The invariants every real driver keeps with its core (SEMANTICS.md section 9,
// docs/architecture.md): checked after the core's own, before a backend's
// checks of its loop's handles.
#pragma once

#include <cstdint>

#include "berth/core/server.hpp"

namespace berth::driver {

/// nullptr when the core's invariants hold and the driver agrees with the core
/// (an accept wait outstanding exactly when the core waits for readability; no more
/// connections held than the core counts), else the first broken one.
[[nodiscard]] const char* check_driver_invariant(const core::server& core, bool waiting_readable,
                                                 std::uint32_t connections_held);

/// The connections a driver holds in its table by index (empty slots are null).
template <typename Table>
[[nodiscard]] std::uint32_t connections_held(const Table& table) {
    std::uint32_t held = 0;
    for (const auto& c : table)
        held += c != nullptr ? 1U : 0U;
    return held;
}

/// What a driver's check_invariant says while a drain runs.
inline constexpr const char* drain_in_progress = "a drain is in progress";

}  // namespace berth::driver
