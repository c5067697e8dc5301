/// @file
/// The default of the max_connections option (SEMANTICS.md section 2).
#pragma once

#include <cstdint>

namespace berth::posix {

/// 90% of the process's soft RLIMIT_NOFILE, read now, at least 1 and at most
/// core::max_connections_limit (an unlimited or huge limit is capped there). The
/// other 10% leave room for the listener, logs and whatever else the process opens.
/// Thread safe (getrlimit).
/// @return the default; 1 if getrlimit fails.
[[nodiscard]] std::uint32_t default_max_connections();

/// The rule itself, for a given soft limit. Pure.
/// @param soft_limit RLIMIT_NOFILE's soft value; RLIM_INFINITY for unlimited.
/// @return 90% of it, between 1 and core::max_connections_limit.
[[nodiscard]] std::uint32_t max_connections_for_fd_limit(std::uint64_t soft_limit);

}  // namespace berth::posix
