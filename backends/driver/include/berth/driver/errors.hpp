// The errors a real backend's server raises, one type for every backend, so that
// an application switching loops catches the same thing.
#pragma once

#include <stdexcept>
#include <system_error>

namespace berth::driver {

/// The options were refused (nothing was opened), or a required hook is missing.
class creation_error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// Raised on the loop (out of run()) when accept fails in a way the server cannot
/// recover from (EBADF, EINVAL, ...): the server has stopped accepting and closed
/// its socket.
class accept_error : public std::system_error {
public:
    explicit accept_error(int error_value)
        : std::system_error(error_value, std::generic_category(),
                            "accept on the listening socket failed") {}
};

/// The connection's writer failed: its buffer grew older than buffer_age_limit,
/// or a write failed for a reason other than the peer going away. This is the
/// error the error policy sees.
class writer_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A line longer than the reader's line_length_max: the handler fails with it
/// unless it catches it.
class line_too_long : public std::length_error {
public:
    using std::length_error::length_error;
};

}  // namespace berth::driver
