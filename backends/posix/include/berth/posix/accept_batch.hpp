// Executes the core's accept_batch action on a real listening socket: accepts
// without blocking while the core wants more, and reports every result to it.
#pragma once

#include <cstdint>

#include "berth/core/action.hpp"
#include "berth/core/server.hpp"
#include "berth/core/types.hpp"
#include "berth/posix/socket_address.hpp"

namespace berth::posix {

class descriptor_reserve;

/// The fault-injection seam: while `remaining` is above zero, each accept attempt
/// fails with `error_value` instead of calling accept4 (and decrements it). The
/// kernel is not touched, so the queued connections stay queued.
struct accept_faults {
    int error_value = 0;
    std::uint32_t remaining = 0;
};

/// Called for every accepted socket, before the core hears of it, with the peer's
/// address: how a backend learns the peer without an allocation per accept.
struct peer_sink {
    void* context = nullptr;
    void (*on_accepted)(void* context, int fd, const socket_address& peer) = nullptr;
};

struct accept_context {
    int listen_fd = -1;
    /// Released before a shed batch and restored after it (may be null: then a
    /// shed batch accepts with whatever descriptors are free).
    descriptor_reserve* reserve = nullptr;
    accept_faults* faults = nullptr;  // null: no faults
    peer_sink sink;
};

struct accept_batch_result {
    std::uint32_t accepted = 0;
    std::uint32_t failed = 0;
    int last_error_value = 0;  // the errno of the last failure, 0 if none
};

/// Runs one `accept_batch` action to completion: at most `batch.max_sockets`
/// accept4 calls (SOCK_NONBLOCK | SOCK_CLOEXEC) while
/// `server.accept_batch_wants_more()`, TCP_NODELAY on TCP sockets, each result
/// reported as socket_accepted or accept_failed, then batch_done, all at `now_ns`.
/// Precondition: the core has just emitted `batch` (asserted through the core's
/// answers: an event it refuses is a bug in the caller).
accept_batch_result run_accept_batch(const accept_context& context, core::server& server,
                                     const core::actions::accept_batch& batch,
                                     core::time_ns now_ns);

}  // namespace berth::posix
