/// @file
/// The classification of accept(2) errors (SEMANTICS.md section 6). It lives in the
/// core so that every backend, real or simulated, treats an errno the same way.
#pragma once

#include <cstdint>

/// berth's sans-IO core: the state machine of one TCP server, its events, actions
/// and options. No I/O, no clock, no threads; see berth::core::server.
namespace berth::core {

/// What the accept loop does after an accept(2) error of each kind.
enum class accept_error_class : std::uint8_t {
    nothing_there,     ///< EAGAIN, EWOULDBLOCK, EINTR: end the batch, wait for readability
    per_connection,    ///< ECONNABORTED, EPROTO, EPERM, ...: skip that connection
    out_of_resources,  ///< EMFILE, ENFILE, ENOBUFS, ENOMEM: pause (back-off) or shed
    fatal,             ///< EBADF, ENOTSOCK, EINVAL, EFAULT and anything unknown: stop
};

/// The number of accept_error_class values: the size of statistics::accept_errors.
inline constexpr int accept_error_class_count = 4;

/// Classifies one accept(2) failure. Pure; any thread.
/// @param error_value an errno value as Linux numbers them.
/// @return its class; `fatal` for a value not listed in accept_error_class.
[[nodiscard]] accept_error_class classify_accept_error(int error_value);

/// The enumerator's name ("out_of_resources"); "unknown" for a value out of range.
/// @param error_class the class to name.
/// @return a static string, valid for the life of the program.
[[nodiscard]] const char* to_string(accept_error_class error_class);

}  // namespace berth::core
