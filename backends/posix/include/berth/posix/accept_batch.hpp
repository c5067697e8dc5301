// Executes the core's accept_batch action on a real listening socket: accepts
// without blocking while the core wants more, and reports every result to it.
#pragma once

#include <array>
#include <cstdint>

#include "berth/core/action.hpp"
#include "berth/core/server.hpp"
#include "berth/core/types.hpp"
#include "berth/posix/socket_address.hpp"

namespace berth::posix {

class descriptor_reserve;

/// The fault-injection seam: a queue of errno values. While it is not empty, each
/// accept attempt takes the next value and fails with it instead of calling
/// accept4. The kernel is not touched, so the queued connections stay queued.
/// Runs of the same value take one entry, so the queue is small and fixed.
class accept_faults {
public:
    static constexpr std::uint32_t runs_max = 64;

    accept_faults() = default;
    /// `count` failures with `error_value`.
    accept_faults(int error_value, std::uint32_t count);

    /// Queues `count` failures with `error_value` after those already queued.
    /// Returns false, and queues nothing, when the queue has no room for them.
    [[nodiscard]] bool push(int error_value, std::uint32_t count);
    /// Failures still queued.
    [[nodiscard]] std::uint32_t pending() const { return pending_; }
    /// The next failure's errno value, removed from the queue. Precondition:
    /// pending() > 0.
    int pop();
    void clear();

private:
    struct run {
        int error_value = 0;
        std::uint32_t count = 0;
    };
    std::array<run, runs_max> runs_{};
    std::uint32_t head_ = 0;
    std::uint32_t runs_used_ = 0;
    std::uint32_t pending_ = 0;
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
