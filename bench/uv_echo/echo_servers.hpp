// The two echo servers the benchmark compares. Each runs its own loop on the
// calling thread until `stop` is signalled (uv_async_send from another thread).
#pragma once

#include <atomic>
#include <cstdint>

#include <uv.h>

namespace berth::bench {

/// What the server thread tells the load thread.
struct server_ready {
    std::atomic<std::uint16_t> port{0};  // nonzero once listening
    std::atomic<uv_async_t*> stop{nullptr};
};

/// A plain libuv echo server: uv_listen/uv_accept, uv_read_start, uv_write.
void run_plain_uv_echo(server_ready& ready);

/// berth's libuv backend, `create`: read_some into a buffer, write it back.
void run_berth_uv_echo(server_ready& ready);

}  // namespace berth::bench
