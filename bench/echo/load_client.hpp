// An epoll load client: `connections` sockets, each sending one 64-byte line and
// waiting for its echo before the next, for `duration`.
#pragma once

#include <chrono>
#include <cstdint>

namespace berth::bench {

/// Round trips completed in `duration` against 127.0.0.1:`port`.
[[nodiscard]] std::uint64_t run_load(std::uint16_t port, int connections,
                                     std::chrono::milliseconds duration);

}  // namespace berth::bench
