// The one input type of the core: what the driver observed.
//
// Every event is handed to `server::handle` together with the current monotonic
// time. docs/architecture.md says when the driver may, and must, report each one.
#pragma once

#include <variant>

#include "berth/core/types.hpp"

namespace berth::core::events {

/// The listening socket became readable after a `wait_readable` action.
struct listener_readable {};

/// accept(2) in the current `accept_batch` returned a socket. The core owns the
/// handle from here on and gives it back through exactly one close action.
struct socket_accepted {
    socket_handle socket = 0;
};

/// accept(2) in the current shed batch (`accept_batch{shed = true}`) returned a
/// socket, and the driver closed it at once. The socket never enters the core:
/// closing it before the next accept is what lets one reserved descriptor shed a
/// whole queue while the process has no other descriptor free.
struct socket_shed {};

/// accept(2) in the current `accept_batch` failed with `error_value` (an errno
/// value as Linux numbers them). The core classifies it (accept_error.hpp).
struct accept_failed {
    int error_value = 0;
};

/// The driver has stopped accepting for the current `accept_batch` and no longer
/// uses the listening socket for it.
struct batch_done {};

/// The handler's own code has ended, normally or by failing.
struct handler_returned {
    connection_id id;
    outcome result = outcome::ok;
};

/// `create` only: the connection's writer failed (for example its buffer grew too
/// old). The connection's result becomes an error if none was decided yet.
struct writer_failed {
    connection_id id;
};

/// `create` only: the peer went away (EPIPE, ECONNRESET on write). The connection's
/// result becomes ok if none was decided yet: a departed client is not a failure.
struct peer_gone {
    connection_id id;
};

/// The close of a connection's socket, asked for by `close_socket`, has completed.
struct socket_closed {
    connection_id id;
};

/// The close of the listening socket, asked for by `close_listener`, has completed.
struct listener_closed {};

/// The user called close. Idempotent; see SEMANTICS.md section 8.
struct close_requested {
    bool close_existing_connections = false;
    /// Graceful drain: at this time, connections still open are closed as with
    /// `close_existing_connections`. `no_deadline_ns` means never.
    time_ns drain_deadline_ns = no_deadline_ns;
};

/// The user switched drop mode on or off.
struct drop_mode_set {
    bool drop_incoming_connections = false;
};

/// The timer armed for the core's last deadline went off. Carries nothing but the
/// time the core receives with it.
struct timer_fired {};

}  // namespace berth::core::events

namespace berth::core {

using event = std::variant<events::listener_readable, events::socket_accepted, events::socket_shed,
                           events::accept_failed, events::batch_done, events::handler_returned,
                           events::writer_failed, events::peer_gone, events::socket_closed,
                           events::listener_closed, events::close_requested, events::drop_mode_set,
                           events::timer_fired>;

}  // namespace berth::core
