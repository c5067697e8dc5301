#include "berth/driver/connection_table.hpp"

namespace berth::driver {

posix::peer_sink pending_peers::sink() {
    posix::peer_sink s;
    s.context = this;
    s.on_accepted = [](void* self, int fd, const posix::socket_address& peer) {
        auto& peers = static_cast<pending_peers*>(self)->by_fd_;
        const auto index = static_cast<std::size_t>(fd);
        if (peers.size() <= index) peers.resize(index + 1);
        peers[index] = peer;
    };
    return s;
}

posix::socket_address pending_peers::take(core::socket_handle socket) {
    const auto index = static_cast<std::size_t>(socket);
    if (index >= by_fd_.size()) return {};
    posix::socket_address peer = by_fd_[index];
    by_fd_[index] = posix::socket_address();
    return peer;
}

}  // namespace berth::driver
