/// @file
/// Counters a server keeps over its whole life (SEMANTICS.md section 9).
#pragma once

#include <array>
#include <cstdint>

#include "berth/core/accept_error.hpp"

namespace berth::core {

/// What a server has done since its creation. Only ever counted up; read it
/// through `stats()` on the server's loop, where the reference stays valid for
/// the server's life.
struct statistics {
    std::uint64_t accepted = 0;          ///< sockets taken from the kernel
    std::uint64_t handlers_started = 0;  ///< handlers called
    std::uint64_t dropped = 0;           ///< closed at once in drop mode
    std::uint64_t shed = 0;              ///< closed at once while shedding
    /// Accepted, then closed without handler because of close.
    std::uint64_t closed_after_close = 0;
    std::uint64_t handler_ok = 0;            ///< connections whose result was ok
    std::uint64_t handler_errors = 0;        ///< connections whose result was an error
    std::uint64_t late_handler_results = 0;  ///< handlers that ended after the result was decided
    std::uint64_t late_writes = 0;           ///< writes after the connection's result was decided
    std::uint64_t extra_completions = 0;     ///< a handler's end reported more than once
    std::uint64_t writer_failures = 0;       ///< writers too old, too full, or failed
    /// Indexed by accept_error_class; `nothing_there` counts ends of batches.
    std::array<std::uint64_t, accept_error_class_count> accept_errors{};
    std::uint64_t back_off_pauses = 0;  ///< accepting paused for lack of resources
    std::uint64_t times_at_limit = 0;   ///< num_connections reached max_connections

    /// @param c the class to read.
    /// @return `accept_errors` for `c`.
    [[nodiscard]] std::uint64_t accept_errors_of(accept_error_class c) const {
        return accept_errors[static_cast<std::size_t>(c)];
    }
};

}  // namespace berth::core
