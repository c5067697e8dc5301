/// @file
/// Knobs of the simulated kernel and of its fault injection. Rates are integers
/// (per million) so that no decision depends on floating point.
#pragma once

#include <cstdint>

#include "berth/core/types.hpp"

/// The deterministic simulator: a simulated kernel and world, virtual time, fault
/// injection, and berth::sim::server on the same engine as the real backends.
/// Single-threaded by design: everything of a world runs on the thread calling
/// world::step or world::run.
namespace berth::sim {

using core::time_ns;

/// What a connect does when the listen queue is full.
enum class listen_overflow : std::uint8_t {
    retry,   ///< Linux: the SYN is dropped, the client retransmits it with back-off
    refuse,  ///< the client's connect fails at once with ECONNREFUSED
};

/// How the simulated kernel behaves. A plain value, copied into the world.
struct kernel_config {
    /// Descriptors the simulated process may hold; accept fails with EMFILE beyond.
    std::uint32_t fd_limit = 1024;
    /// Bytes in flight per direction of a connection; a writer blocks beyond.
    std::uint32_t socket_buffer_bytes = 64 * 1024;
    /// What a connect does when the listen queue is full.
    listen_overflow on_listen_overflow = listen_overflow::retry;
    /// First SYN retransmission delay; doubles after each try (Linux: 1 s).
    time_ns syn_retry_initial_ns = 1'000'000'000;
    /// Retransmissions before connect gives up with ETIMEDOUT (Linux default 6).
    std::uint32_t syn_retries_max = 6;
    /// Each wake-up (data arrived, room freed, connection queued) is delivered
    /// after a delay drawn in [0, latency_max_ns]: the interleavings vary by seed.
    time_ns latency_max_ns = 0;
};

/// Injected faults. Accept faults are drawn per accept call, in this order, each
/// from the accept-fault stream; a scripted error (kernel::inject_accept_errors)
/// comes before any of them.
struct fault_config {
    bool enabled = false;  ///< off: no fault is drawn, whatever the rates
    std::uint32_t accept_nothing_there_per_million = 0;     ///< EAGAIN / EINTR with work queued
    std::uint32_t accept_per_connection_per_million = 0;    ///< ECONNABORTED & co, consumes one
    std::uint32_t accept_out_of_resources_per_million = 0;  ///< ENFILE / ENOBUFS / ENOMEM
    std::uint32_t accept_fatal_per_million = 0;             ///< EINVAL / EFAULT / ENOTSOCK
    /// A readiness wake-up for a listener with nothing queued.
    std::uint32_t spurious_wakeup_per_million = 0;
    /// A write (a server's, or a client's send buffer draining into the peer) takes
    /// only part of what fits, at least one byte, as a real kernel's short writes
    /// do. Drawn from the kernel's own stream, so it shifts no other source.
    std::uint32_t partial_write_per_million = 0;
};

}  // namespace berth::sim
