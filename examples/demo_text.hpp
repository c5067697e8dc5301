// Small formatting helpers for the core demo's trace lines.
#pragma once

#include <string>

#include "berth/core/types.hpp"

namespace berth::demo {

/// "t=5.000ms", to the microsecond: the demo's clock never needs finer.
[[nodiscard]] std::string time_text(core::time_ns t_ns);

/// "2000.001ms": a duration, to the microsecond.
[[nodiscard]] std::string duration_text(core::time_ns d_ns);

/// "0.1": a connection id as index.generation.
[[nodiscard]] std::string id_text(core::connection_id id);

/// "EMFILE" for the errno values the demo uses, "errno 42" for any other.
[[nodiscard]] std::string errno_text(int error_value);

}  // namespace berth::demo
