/// @file
/// Why the core refused an event. A refused event changes nothing.
#pragma once

#include <cstdint>

namespace berth::core {

/// Each value names one way a driver can break the contract of
/// docs/architecture.md. The core returns it instead of throwing, and the state is
/// exactly as before the call.
enum class event_error : std::uint8_t {
    none = 0,                      ///< the event was accepted
    time_went_backwards,           ///< `now_ns` is earlier than the previous event's
    readable_not_awaited,          ///< listener_readable without an outstanding wait_readable
    accept_not_requested,          ///< socket_accepted / accept_failed outside an accept_batch
    accept_batch_exhausted,        ///< more results than the batch asked for, or after it ended
    shed_mismatch,                 ///< socket_shed outside a shed batch, or socket_accepted in one
    batch_not_started,             ///< batch_done without an outstanding accept_batch
    unknown_connection,            ///< the id names no live connection and never did
    stale_connection,              ///< the id named a connection that has been released
    handler_not_running,           ///< handler result for a handler not started or already returned
    socket_close_not_requested,    ///< socket_closed without an outstanding close_socket
    listener_close_not_requested,  ///< listener_closed without an outstanding close_listener
    no_writer,                     ///< a writer event on a server of the socket form (create_sock)
    flushed_more_than_buffered,    ///< bytes_flushed for more bytes than the writer holds
    reserve_not_requested,         ///< reserve_held without an outstanding hold_reserve
    negative_drain_timeout,        ///< close_requested with a drain timeout below zero
};

/// A sentence naming what was wrong, for error messages and logs.
/// @param error the refusal to describe; `none` gives "no error".
/// @return a static string, valid for the life of the program.
[[nodiscard]] const char* to_string(event_error error);

}  // namespace berth::core
