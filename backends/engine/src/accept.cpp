// The accept batch (SEMANTICS.md section 4.2): accept without blocking while the
// core wants more, then batch_done. The backend supplies only the one accept call
// (io::accept_one); the budget, the order and what a result means are the core's.
#include "berth/core/detail/assert.hpp"
#include "berth/engine/server.hpp"

namespace berth::engine {

namespace {

// Peers are kept by descriptor number, which is unique among open sockets and
// small; a simulated handle's low half is its descriptor number.
std::size_t peer_index(core::socket_handle socket) {
    return static_cast<std::size_t>(socket & 0xffffffffU);
}

}  // namespace

// Bounded by the batch's budget: every turn makes one accept call, and the core
// ends the batch once the calls reach it.
void server::execute(const core::actions::accept_batch& a) {
    BERTH_ASSERT(a.max_sockets >= 1);
    for (std::uint32_t i = 0; i < a.max_sockets && core_.accept_batch_wants_more(); ++i) {
        accept_result r = io_->accept_one();
        if (r.error_value != 0) {
            feed(core::events::accept_failed{r.error_value});
            continue;
        }
        if (a.shed) {
            // Closed before the next accept, so the one descriptor the reserve gave
            // back serves the whole batch.
            io_->close_socket_now(r.socket);
            feed(core::events::socket_shed{});
            continue;
        }
        const std::size_t index = peer_index(r.socket);
        if (pending_peers_.size() <= index) pending_peers_.resize(index + 1);
        pending_peers_[index] = r.peer;
        feed(core::events::socket_accepted{r.socket});
    }
    feed(core::events::batch_done{});
}

void server::execute(const core::actions::close_dropped_socket& a) {
    static_cast<void>(take_peer(a.socket));
    io_->close_socket_now(a.socket);
}

address server::take_peer(core::socket_handle socket) {
    const std::size_t index = peer_index(socket);
    if (index >= pending_peers_.size()) return {};
    address peer = pending_peers_[index];
    pending_peers_[index] = address();
    return peer;
}

}  // namespace berth::engine
