// The description of a real backend's server (SEMANTICS.md section 10): where it
// listens, which backend drives it, the core's own description, and the peer of
// every live connection. Text for people, JSON for tools.
#pragma once

#include <iosfwd>
#include <span>
#include <string_view>
#include <vector>

#include "berth/core/server.hpp"
#include "berth/posix/listener.hpp"
#include "berth/posix/socket_address.hpp"

namespace berth::driver {

struct described_peer {
    core::connection_id id;
    const posix::socket_address* peer;
};

struct description {
    std::string_view backend;  // "asio", "uv"
    const posix::listen_endpoint& listening_on;
    const core::server& core;
    std::span<const described_peer> peers;  // in connection index order
};

/// The live connections of a driver's table by index (empty slots are null); each
/// entry has `id` and `peer`. The table must outlive the result.
template <typename Table>
[[nodiscard]] std::vector<described_peer> live_peers(const Table& table) {
    std::vector<described_peer> peers;
    for (const auto& c : table) {
        if (c != nullptr) peers.push_back(described_peer{c->id, &c->peer});
    }
    return peers;
}

void write_text(std::ostream& os, const description& d);
void write_json(std::ostream& os, const description& d);

}  // namespace berth::driver
