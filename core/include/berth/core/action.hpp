/// @file
/// The one output type of the core: what the driver must do next.
///
/// The driver pulls actions with `server::poll` until it gets `idle`, executing
/// each one before it pulls the next. docs/architecture.md lists what each action
/// obliges the driver to report back.
#pragma once

#include <cstdint>
#include <variant>

#include "berth/core/options.hpp"
#include "berth/core/types.hpp"
#include "berth/core/writer_tracker.hpp"

namespace berth::core {

/// What a notice is about. Notices are for the operator: logs, metrics.
enum class notice_kind : std::uint8_t {
    at_limit,  ///< num_connections reached max_connections (at most once a minute)
    accept_resources_exhausted,  ///< EMFILE and friends; accepting paused (at most once a minute)
    late_handler_result,         ///< the handler ended after its connection's result was decided
    drain_deadline_reached,  ///< a graceful close's deadline passed; connections are being closed
    late_write,        ///< the handler wrote after its result was decided (once per connection)
    extra_completion,  ///< a handler reported its end more than once
};

/// What the driver does with an error result once the connection is released.
enum class policy_action : std::uint8_t {
    none,    ///< the result was ok: nothing to apply
    ignore,  ///< the error is dropped
    call,    ///< call the user's function with the connection's peer and error
    raise,   ///< propagate the error out of the backend's run; the core is already closing
};

}  // namespace berth::core

/// The actions berth::core::server::poll hands out, one struct each.
namespace berth::core::actions {

/// Nothing to do until the next event, or until `deadline_ns` (then report
/// `timer_fired`). Arming a timer means: keep one timer at the latest `deadline_ns`.
struct idle {
    time_ns deadline_ns = no_deadline_ns;  ///< the core's next deadline; no_deadline_ns if none
};

/// Start waiting for the listening socket to become readable; report
/// `listener_readable`. A later `close_listener` cancels the wait.
struct wait_readable {};

/// Shed mode only: open a descriptor to hold in reserve, and report `reserve_held`
/// saying whether that worked.
struct hold_reserve {};

/// Shed mode only: close the reserved descriptor (just before a shed batch, so that
/// it can accept; or because the listener is closing). Nothing is reported back.
struct release_reserve {};

/// Accept without blocking, at most `max_sockets` times. Report each result as
/// `socket_accepted` or `accept_failed`, stop as soon as
/// `server::accept_batch_wants_more()` is false, then report `batch_done`.
/// With `shed`, close every socket the batch accepts at once, before the next
/// accept, reporting it as `socket_shed` instead of `socket_accepted` (SEMANTICS.md
/// section 6); the core has released the reserve just before.
struct accept_batch {
    std::uint32_t max_sockets = 0;  ///< at most this many accept(2) calls
    bool shed = false;              ///< close each accepted socket at once
};

/// Call the user's handler for this connection. It already counts in
/// `num_connections`.
struct start_handler {
    connection_id id;          ///< the new connection
    socket_handle socket = 0;  ///< its socket, from socket_accepted
};

/// Shut down and close this connection's socket now; report `socket_closed`. For
/// `create`, the core emits it once the writer's final flush is over (or at once
/// when the writer stopped or the server closes the connection), so the driver
/// drops whatever the writer still holds. `handler_started` is false for a socket
/// whose handler was never started because the server closed first.
struct close_socket {
    connection_id id;             ///< the connection whose socket closes
    socket_handle socket = 0;     ///< its socket
    bool handler_started = true;  ///< false: no handler ever ran on it
};

/// Close a socket that never became a connection (drop mode, a close that came
/// first, shedding). Nothing is reported back.
struct close_dropped_socket {
    socket_handle socket = 0;  ///< from socket_accepted; the core forgets it
};

/// Close the listening socket (cancelling any wait for readability); report
/// `listener_closed`.
struct close_listener {};

/// The connection is over: its handler has returned and its socket is closed. Its
/// slot is free again and its id is dead. Apply `policy` to its error, then forget
/// the connection. With `raise`, finish draining the actions before raising.
/// `decided_by` says whose error it is: the handler's own (the driver kept it), or
/// the writer's, described by `writer` (writer_tracker.hpp).
struct release_connection {
    connection_id id;                                   ///< dead once this is pulled
    outcome result = outcome::ok;                       ///< the connection's result
    policy_action policy = policy_action::none;         ///< what to do with an error
    result_source decided_by = result_source::handler;  ///< whose error it is
    writer_failure writer;  ///< decided_by writer with an error: why the writer failed
};

/// Something the operator should hear about. `id` is set for connection notices,
/// `error_value` for accept notices.
struct notice {
    notice_kind kind = notice_kind::at_limit;  ///< what it is about
    connection_id id;                          ///< late_*, extra_completion: the connection
    int error_value = 0;                       ///< accept_resources_exhausted: the errno
};

/// accept(2) failed in a way the server cannot recover from (EBADF, ENOTSOCK,
/// EINVAL, ...). The listening socket is being closed; raise the error as the
/// `raise` policy does.
struct raise_accept_error {
    int error_value = 0;  ///< accept(2)'s errno
};

/// Fire the completion of `close` / `close_finished`. Emitted once.
struct complete_close {};

/// Fire `handlers_finished`: the listener is closed and no connection remains.
/// Emitted once.
struct complete_handlers_finished {};

}  // namespace berth::core::actions

namespace berth::core {

/// One action, as `server::poll` returns it: visit it with one handler per kind.
using action =
    std::variant<actions::idle, actions::wait_readable, actions::hold_reserve,
                 actions::release_reserve, actions::accept_batch, actions::start_handler,
                 actions::close_socket, actions::close_dropped_socket, actions::close_listener,
                 actions::release_connection, actions::notice, actions::raise_accept_error,
                 actions::complete_close, actions::complete_handlers_finished>;

/// The enumerator's name ("late_write"); "unknown" for a value out of range.
/// @param kind the kind to name.
/// @return a static string, valid for the life of the program.
[[nodiscard]] const char* to_string(notice_kind kind);
/// The enumerator's name ("call"); "unknown" for a value out of range.
/// @param policy the policy to name.
/// @return a static string, valid for the life of the program.
[[nodiscard]] const char* to_string(policy_action policy);
/// The enumerator's name ("writer"); "unknown" for a value out of range.
/// @param source the source to name.
/// @return a static string, valid for the life of the program.
[[nodiscard]] const char* to_string(result_source source);
/// The enumerator's name ("reader_writer"); "unknown" for a value out of range.
/// @param form the form to name.
/// @return a static string, valid for the life of the program.
[[nodiscard]] const char* to_string(connection_form form);

}  // namespace berth::core
