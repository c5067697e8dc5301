// Names of the core's enumerations, for messages, descriptions and traces.
#include "berth/core/action.hpp"
#include "berth/core/event_error.hpp"
#include "berth/core/server.hpp"

namespace berth::core {

const char* to_string(event_error error) {
    switch (error) {
        case event_error::none: return "no error";
        case event_error::time_went_backwards:
            return "time went backwards: now_ns is earlier than the previous event's";
        case event_error::readable_not_awaited:
            return "listener_readable reported while no wait_readable is outstanding";
        case event_error::accept_not_requested:
            return "accept result reported while no accept_batch is outstanding";
        case event_error::accept_batch_exhausted:
            return "accept result reported after the batch ended or used its budget";
        case event_error::shed_mismatch:
            return "socket_shed reported outside a shed batch, or socket_accepted inside one";
        case event_error::batch_not_started:
            return "batch_done reported while no accept_batch is outstanding";
        case event_error::unknown_connection:
            return "connection id names no connection the server ever had";
        case event_error::stale_connection:
            return "connection id names a connection that has been released";
        case event_error::handler_not_running:
            return "handler event for a connection whose handler is not running";
        case event_error::socket_close_not_requested:
            return "socket_closed reported while no close_socket is outstanding";
        case event_error::listener_close_not_requested:
            return "listener_closed reported while no close_listener is outstanding";
        case event_error::no_writer:
            return "writer event for a server whose connections have no buffered writer";
        case event_error::flushed_more_than_buffered:
            return "bytes_flushed reports more bytes than the writer holds";
        case event_error::reserve_not_requested:
            return "reserve_held reported while no hold_reserve is outstanding";
        case event_error::negative_drain_timeout:
            return "close_requested with a negative drain timeout";
    }
    return "unknown event error";
}

const char* to_string(notice_kind kind) {
    switch (kind) {
        case notice_kind::at_limit: return "at_limit";
        case notice_kind::accept_resources_exhausted: return "accept_resources_exhausted";
        case notice_kind::late_handler_result: return "late_handler_result";
        case notice_kind::drain_deadline_reached: return "drain_deadline_reached";
        case notice_kind::late_write: return "late_write";
        case notice_kind::extra_completion: return "extra_completion";
    }
    return "unknown";
}

const char* to_string(policy_action policy) {
    switch (policy) {
        case policy_action::none: return "none";
        case policy_action::ignore: return "ignore";
        case policy_action::call: return "call";
        case policy_action::raise: return "raise";
    }
    return "unknown";
}

const char* to_string(result_source source) {
    switch (source) {
        case result_source::handler: return "handler";
        case result_source::writer: return "writer";
    }
    return "unknown";
}

const char* to_string(connection_form form) {
    switch (form) {
        case connection_form::socket: return "socket";
        case connection_form::reader_writer: return "reader_writer";
    }
    return "unknown";
}

const char* to_string(accept_phase phase) {
    switch (phase) {
        case accept_phase::idle: return "idle";
        case accept_phase::waiting_readable: return "waiting_readable";
        case accept_phase::readable: return "readable";
        case accept_phase::batching: return "batching";
    }
    return "unknown";
}

const char* to_string(reserve_state state) {
    switch (state) {
        case reserve_state::unused: return "unused";
        case reserve_state::wanted: return "wanted";
        case reserve_state::requested: return "requested";
        case reserve_state::held: return "held";
        case reserve_state::missing: return "missing";
        case reserve_state::released: return "released";
    }
    return "unknown";
}

const char* to_string(listener_state state) {
    switch (state) {
        case listener_state::open: return "open";
        case listener_state::close_pending: return "close_pending";
        case listener_state::closing: return "closing";
        case listener_state::closed: return "closed";
    }
    return "unknown";
}

}  // namespace berth::core
