// The socket side of accepting, the same for every real backend: running the
// core's accept batches on the listening descriptor, with the descriptor reserve
// for shedding and the fault-injection seam, closing dropped sockets, and keeping
// the peer of each socket accepted but not yet handed to a handler.
#pragma once

#include <cstdint>
#include <optional>

#include "berth/core/action.hpp"
#include "berth/core/options.hpp"
#include "berth/core/server.hpp"
#include "berth/driver/connection_table.hpp"
#include "berth/posix/accept_batch.hpp"
#include "berth/posix/descriptor_reserve.hpp"
#include "berth/posix/socket_address.hpp"

namespace berth::driver {

class accept_side {
public:
    /// Holds a reserved descriptor when the server sheds on exhaustion.
    explicit accept_side(core::exhaustion_mode mode);

    /// Executes the core's `accept_batch` on `listen_fd` (posix::run_accept_batch).
    void run_batch(int listen_fd, core::server& core, const core::actions::accept_batch& batch,
                   core::time_ns now_ns);
    /// Executes `close_dropped_socket`: closes it, forgets its peer, and takes the
    /// reserve back if a shed batch left it released.
    void close_dropped(core::socket_handle socket);
    /// The peer of an accepted socket, forgotten here (for start_handler, and for
    /// close_socket of a connection that never started).
    [[nodiscard]] posix::socket_address take_peer(core::socket_handle socket);
    /// Gives the reserved descriptor back; the listener is closed.
    void release_reserve() { reserve_.reset(); }

    /// Tests only: the next `count` accept attempts, after those already queued,
    /// fail with `error_value` without touching the kernel. Throws
    /// std::length_error when the seam's queue has no room for them.
    void inject_faults(int error_value, std::uint32_t count);

private:
    std::optional<posix::descriptor_reserve> reserve_;
    posix::accept_faults faults_;
    pending_peers peers_;
};

}  // namespace berth::driver
