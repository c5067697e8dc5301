#include "berth/posix/default_max_connections.hpp"

#include <algorithm>
#include <sys/resource.h>

#include "berth/core/options.hpp"

namespace berth::posix {

std::uint32_t max_connections_for_fd_limit(std::uint64_t soft_limit) {
    const std::uint64_t cap = core::max_connections_limit;
    // Divide first when the limit is huge (RLIM_INFINITY), so 9 * limit cannot wrap.
    const std::uint64_t ninety_percent =
        soft_limit > cap * 10 ? soft_limit / 10 * 9 : soft_limit * 9 / 10;
    return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(ninety_percent, 1, cap));
}

std::uint32_t default_max_connections() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return max_connections_for_fd_limit(0);
    return max_connections_for_fd_limit(limit.rlim_cur);
}

}  // namespace berth::posix
