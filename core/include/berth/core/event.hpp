/// @file
/// The one input type of the core: what the driver observed.
///
/// Every event is handed to `server::handle` together with the current monotonic
/// time. docs/architecture.md says when the driver may, and must, report each one.
#pragma once

#include <cstdint>
#include <variant>

#include "berth/core/types.hpp"

/// The events a driver reports to berth::core::server::handle, one struct each.
namespace berth::core::events {

/// The listening socket became readable after a `wait_readable` action.
struct listener_readable {};

/// accept(2) in the current `accept_batch` returned a socket. The core owns the
/// handle from here on and gives it back through exactly one close action.
struct socket_accepted {
    socket_handle socket = 0;  ///< the new socket, opaque to the core
};

/// accept(2) in the current shed batch (`accept_batch{shed = true}`) returned a
/// socket, and the driver closed it at once. The socket never enters the core:
/// closing it before the next accept is what lets one reserved descriptor shed a
/// whole queue while the process has no other descriptor free.
struct socket_shed {};

/// accept(2) in the current `accept_batch` failed with `error_value` (an errno
/// value as Linux numbers them). The core classifies it (accept_error.hpp).
struct accept_failed {
    int error_value = 0;  ///< accept(2)'s errno
};

/// The driver has stopped accepting for the current `accept_batch` and no longer
/// uses the listening socket for it.
struct batch_done {};

/// The handler's own code has ended, normally or by failing.
struct handler_returned {
    connection_id id;              ///< the handler's connection
    outcome result = outcome::ok;  ///< error when it failed (threw)
};

/// `create` only: the handler wrote `bytes` to its writer. The core books them
/// against the writer's limits; the driver then asks `server::writer_of(id)`
/// whether they were taken (`accepts_writes()` still true) and keeps them only then.
/// A write after the connection's result is decided is counted and reported as a
/// `late_write` notice; one that would exceed buffer_limit_bytes fails the writer.
struct bytes_buffered {
    connection_id id;         ///< the writer's connection
    std::uint64_t bytes = 0;  ///< the size of the write
};

/// `create` only: the kernel took `bytes` of what the writer holds. Ignored once
/// the writer has stopped (its bytes were discarded).
struct bytes_flushed {
    connection_id id;         ///< the writer's connection
    std::uint64_t bytes = 0;  ///< how many the kernel took
};

/// `create` only: a write of the connection's writer failed with `error_value` (an
/// errno value). A departed peer (EPIPE, ECONNRESET, ...) makes the result ok; any
/// other error makes it an error (writer_tracker.hpp).
struct write_failed {
    connection_id id;     ///< the writer's connection
    int error_value = 0;  ///< the write's errno
};

/// A handler reported its end again (a native handler's completion called twice).
/// Nothing changes but a counter and an `extra_completion` notice; the id may name
/// a connection already released.
struct extra_completion {
    connection_id id;  ///< the connection the completion was for
};

/// The close of a connection's socket, asked for by `close_socket`, has completed.
struct socket_closed {
    connection_id id;  ///< from the close_socket action
};

/// The close of the listening socket, asked for by `close_listener`, has completed.
struct listener_closed {};

/// The user called close. Idempotent; see SEMANTICS.md section 8.
struct close_requested {
    bool close_existing_connections = false;  ///< close every connection present now too
    /// Graceful drain: this long after the event's time, connections still open are
    /// closed as with `close_existing_connections`. `no_deadline_ns` means never;
    /// the core guards the addition, so any non-negative value is safe.
    time_ns drain_timeout_ns = no_deadline_ns;
};

/// The user switched drop mode on or off.
struct drop_mode_set {
    bool drop_incoming_connections = false;  ///< on: close new sockets at once
};

/// The timer armed for the core's last deadline went off. Carries nothing but the
/// time the core receives with it.
struct timer_fired {};

/// After a `hold_reserve` action: whether the driver now holds its reserved
/// descriptor (opening one can fail while descriptors are short; the core asks
/// again before the next accept step).
struct reserve_held {
    bool held = false;  ///< the reserved descriptor is open
};

}  // namespace berth::core::events

namespace berth::core {

/// One event, as `server::handle` takes it.
using event = std::variant<
    events::listener_readable, events::socket_accepted, events::socket_shed, events::accept_failed,
    events::batch_done, events::handler_returned, events::bytes_buffered, events::bytes_flushed,
    events::write_failed, events::extra_completion, events::socket_closed, events::listener_closed,
    events::close_requested, events::drop_mode_set, events::timer_fired, events::reserve_held>;

}  // namespace berth::core
