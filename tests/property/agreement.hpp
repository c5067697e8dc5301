// Whether the core and the reference model agree: on one event's outcome (refused
// or not, the actions of the drain, the timer to arm) and on the state that
// matters afterwards (connections, ids, pending closes, completions, close and
// drop modes, the accept step, statistics).
#pragma once

#include <string>

#include "core_under_test.hpp"
#include "server_model.hpp"

namespace berth::test {

/// Empty when the drain matches the prediction, else what differs.
[[nodiscard]] std::string compare_drain(const model::prediction& expected, const observation& seen,
                                        core::time_ns deadline_ns);

/// Empty when the core's state matches the model's, else the first difference.
[[nodiscard]] std::string compare_state(const model::server_model& m, const core_under_test& sut);

}  // namespace berth::test
