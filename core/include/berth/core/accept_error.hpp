/// @file
/// The classification of accept(2) errors (SEMANTICS.md section 6). It lives in the
/// core so that every backend, real or simulated, treats an errno the same way.
#pragma once

#include <cstdint>

namespace berth::core {

enum class accept_error_class : std::uint8_t {
    nothing_there,     ///< EAGAIN, EWOULDBLOCK, EINTR: end the batch, wait for readability
    per_connection,    ///< ECONNABORTED, EPROTO, EPERM, ...: skip that connection
    out_of_resources,  ///< EMFILE, ENFILE, ENOBUFS, ENOMEM: pause (back-off) or shed
    fatal,             ///< EBADF, ENOTSOCK, EINVAL, EFAULT and anything unknown: stop
};

inline constexpr int accept_error_class_count = 4;

/// `error_value` is an errno value as Linux numbers them.
[[nodiscard]] accept_error_class classify_accept_error(int error_value);

[[nodiscard]] const char* to_string(accept_error_class error_class);

}  // namespace berth::core
