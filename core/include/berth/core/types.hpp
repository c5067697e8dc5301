/// @file
/// Vocabulary shared by the core's events, actions and state.
#pragma once

#include <cstdint>
#include <limits>

namespace berth::core {

/// Monotonic time in nanoseconds, as the driver's clock reads it. The core never
/// reads a clock; every event brings the current time with it.
using time_ns = std::int64_t;

/// "No deadline": the largest representable time.
inline constexpr time_ns no_deadline_ns = std::numeric_limits<time_ns>::max();

/// Nanoseconds in a millisecond.
inline constexpr time_ns ns_per_ms = 1'000'000;
/// Nanoseconds in a second.
inline constexpr time_ns ns_per_s = 1'000'000'000;

/// A socket as the backend knows it (a file descriptor, a simulated descriptor).
/// Opaque to the core: it is stored, handed back in actions, never interpreted.
using socket_handle = std::uint64_t;

/// Names one connection for its whole life. The index picks a slot; the
/// generation tells this occupant of the slot from every earlier and later one,
/// so an event that arrives late for an old connection can never touch a new one.
struct connection_id {
    std::uint32_t index = 0;       ///< the slot
    std::uint32_t generation = 0;  ///< 0 is never issued: a default id is invalid

    /// Same slot and same generation: the same connection.
    friend constexpr bool operator==(connection_id, connection_id) = default;
};

/// How a connection ended, as far as the error policy is concerned.
enum class outcome : std::uint8_t {
    ok,     ///< the handler returned, or the writer found the peer gone
    error,  ///< the handler failed, or its writer did
};

/// How a server's handlers use their connections (SEMANTICS.md sections 1 and 7):
/// the socket itself (`create_sock`), or a buffered reader and writer (`create`),
/// whose writer's books the core keeps per connection.
enum class connection_form : std::uint8_t {
    socket,         ///< `create_sock`: the handler has the byte stream
    reader_writer,  ///< `create`: the handler has a reader and a writer
};

/// Which source decided a connection's result: the first of them wins (SEMANTICS.md
/// section 5.2).
enum class result_source : std::uint8_t {
    handler,  ///< the handler's code ended, normally or by failing
    writer,   ///< the writer failed (an error) or found the peer gone (ok): `create` only
};

}  // namespace berth::core
