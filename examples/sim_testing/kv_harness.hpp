// The seeded test harness of the key-value handler (kv_store.hpp) in the simulated
// world: one seed decides the faults, the socket buffers, the server's limit and
// every client's script; the same seed always gives the same run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace berth::examples::kv {

enum class handler_kind : std::uint8_t { correct, buggy };

struct seed_result {
    std::uint64_t seed = 0;
    /// What broke the handler's promise (or the world's checks); empty: all held.
    std::vector<std::string> violations;
    /// Every client's requests and replies, and how its connection ended.
    std::string transcript;
    std::uint64_t clients = 0;
    std::uint64_t acknowledged_sets = 0;
    std::uint64_t client_resets = 0;
    std::uint64_t aborted_connections = 0;  // accept faults that cut a client off

    [[nodiscard]] bool ok() const { return violations.empty(); }
};

/// Runs one seed: 2 to 6 clients set and get their own keys (pipelined, some
/// resetting mid-way, as a fault), under accept faults, partial writes, small
/// socket buffers and wake-up latency; then, with faults off, another client reads
/// every key back. Checks that
///   - every request of a client that did not reset got exactly one reply, of the
///     right kind, in order, unless an accept fault cut it off before any reply;
///   - a client's get of its own key answers its last set before it;
///   - every set answered `ok` is visible to the later client (its value, or a
///     value the same client sent after it);
///   - the world's own checks: no handler error, every handler ended, no
///     descriptor left open.
[[nodiscard]] seed_result run_seed(std::uint64_t seed, handler_kind kind);

}  // namespace berth::examples::kv
