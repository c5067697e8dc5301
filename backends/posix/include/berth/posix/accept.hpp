/// @file
/// One accept call on a real listening socket (the engine's io::accept_one, for the
/// real backends), with the test seam that makes it fail on demand.
#pragma once

#include <array>
#include <cstdint>

#include "berth/posix/socket_address.hpp"

/// What the real backends (Asio, libuv) share on POSIX: the listening socket, accept,
/// the shed reserve, and the text form of a listen address. Not thread safe: each
/// object is used on its server's loop; the free functions are pure or touch only
/// their arguments.
namespace berth::posix {

class descriptor_reserve;

/// The fault-injection seam: a queue of errno values. While it is not empty, each
/// accept attempt takes the next value and fails with it. A per-connection error
/// (ECONNABORTED, EPROTO, ...) is what the kernel reports for a connection that
/// went away before it was accepted: it is made real, the first queued connection
/// is taken and reset, so its client sees its connection end and the next one
/// stays queued; with nothing queued, the fault waits and the attempt fails as
/// accept4 does (EAGAIN). Any other error leaves the kernel's queue alone, as
/// EMFILE or EINTR do. Runs of the same value take one entry, so the queue is
/// small and fixed.
class accept_faults {
public:
    /// The most runs the queue holds.
    static constexpr std::uint32_t runs_max = 64;

    /// An empty queue: accept calls go to the kernel.
    accept_faults() = default;
    /// `count` failures with `error_value`.
    /// @param error_value the errno of each.
    /// @param count how many.
    accept_faults(int error_value, std::uint32_t count);

    /// Queues `count` failures with `error_value` after those already queued.
    /// @param error_value the errno of each.
    /// @param count how many; 0 queues nothing and succeeds.
    /// @return false, having queued nothing, when the queue has no room for them.
    [[nodiscard]] bool push(int error_value, std::uint32_t count);
    /// Failures still queued.
    [[nodiscard]] std::uint32_t pending() const { return pending_; }
    /// The next failure's errno value, left queued. Precondition: pending() > 0.
    [[nodiscard]] int next() const;
    /// The next failure's errno value, removed from the queue. Precondition:
    /// pending() > 0.
    /// @return the errno value.
    int pop();
    /// Forgets every queued failure.
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

/// The result of accept_one.
struct accepted {
    int fd = -1;          ///< the new socket, or -1 with error_value set
    socket_address peer;  ///< the peer, when fd is set
    int error_value = 0;  ///< accept4's errno (or the injected one), when fd is -1
};

/// accept4(SOCK_NONBLOCK | SOCK_CLOEXEC) on `listen_fd`, unless `faults` (may be
/// null) has a failure queued, which is returned instead (taking and resetting a
/// queued connection for a per-connection error, as accept_faults says). TCP
/// sockets get TCP_NODELAY. Never blocks, never throws; EINTR is returned like any
/// other error (the core ends the batch on it).
/// @param listen_fd a non-blocking listening socket.
/// @param faults the test seam, or null.
/// @return the socket, owned by the caller, or the error.
[[nodiscard]] accepted accept_one(int listen_fd, accept_faults* faults);

}  // namespace berth::posix
