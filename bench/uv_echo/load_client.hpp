// A small epoll load client: `connections` sockets to 127.0.0.1:port, each doing
// 64-byte round trips back to back for `seconds`.
#pragma once

#include <cstdint>

namespace berth::bench {

inline constexpr std::size_t message_bytes = 64;

/// Round trips completed per second.
[[nodiscard]] double run_load(std::uint16_t port, int connections, double seconds);

}  // namespace berth::bench
