// Names and texts of errno values, for messages an operator can act on.
#pragma once

#include <string>

namespace berth::posix {

/// "EADDRINUSE"; "errno 4242" for a value the C library does not name.
[[nodiscard]] std::string errno_name(int error_value);

/// "Address already in use" (not localised, thread-safe).
[[nodiscard]] std::string errno_text(int error_value);

/// "EADDRINUSE (Address already in use)".
[[nodiscard]] std::string describe_errno(int error_value);

}  // namespace berth::posix
