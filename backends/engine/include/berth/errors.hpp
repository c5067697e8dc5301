/// @file
/// The errors a berth server raises, one type for each whatever the backend, so that
/// an application switching loops, or testing in the simulator, catches the same.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <system_error>

/// berth's portable API: the handler forms, berth::task, stream, reader, writer,
/// address, the errors, and what every backend's server shares (basic_server).
namespace berth {

/// The options were refused, a required hook or the handler is missing, or an
/// argument of a call is out of range. Nothing was opened or changed. what() names
/// the call or the option and the rule broken, e.g. "on_handler_error is required:
/// choose raise, ignore or call".
class creation_error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

/// Creating the listening socket failed: which step, on which address, with which
/// system error, and what the operator can do about it. Nothing is left open.
///
/// what(): "<operation> <address> failed[ after N attempts]: <NAME> (<text>)[; <hint>]",
/// for example
///   "bind 127.0.0.1:80 failed: EACCES (Permission denied); ports below 1024 need
///    root or the CAP_NET_BIND_SERVICE capability".
/// code() is the errno value in std::generic_category().
class listen_error : public std::system_error {
public:
    /// Composes what() from the parts.
    /// @param operation the step that failed: "socket", "bind", "listen", ...
    /// @param address the address as given or as far as it was resolved.
    /// @param error_value the errno value.
    /// @param hint what the operator can do; empty for none.
    /// @param attempts how many sockets were tried.
    listen_error(std::string operation, std::string address, int error_value, std::string hint,
                 std::uint32_t attempts = 1);

    /// The step that failed: "bind".
    [[nodiscard]] const std::string& operation() const { return operation_; }
    /// The address it failed on: "127.0.0.1:80".
    [[nodiscard]] const std::string& address() const { return address_; }
    /// The errno value: code().value().
    [[nodiscard]] int error_value() const { return code().value(); }
    /// What the operator can do about it; empty when there is nothing to say.
    [[nodiscard]] const std::string& hint() const { return hint_; }
    /// How many sockets were tried (more than 1 only for port 0 and EADDRINUSE).
    [[nodiscard]] std::uint32_t attempts() const { return attempts_; }

    /// The message above, without the category text std::system_error would append.
    [[nodiscard]] const char* what() const noexcept override { return message_.c_str(); }

private:
    std::string message_;
    std::string operation_;
    std::string address_;
    std::string hint_;
    std::uint32_t attempts_;
};

/// Raised out of the backend's run when accept fails in a way the server cannot
/// recover from (EBADF, EINVAL, ...): the server has stopped accepting and closed
/// its listening socket.
class accept_error : public std::system_error {
public:
    /// what(): "accept on the listening socket failed: <strerror text>".
    /// @param error_value accept(2)'s errno, code() in std::generic_category().
    explicit accept_error(int error_value)
        : std::system_error(error_value, std::generic_category(),
                            "accept on the listening socket failed") {}
};

/// The connection's writer failed: its bytes waited longer than buffer_age_limit,
/// it would have held more than buffer_limit_bytes, or a write failed for a reason
/// other than the peer going away. This is the error the error policy sees.
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

/// "EADDRINUSE"; "errno 4242" for a value the C library does not name.
/// Thread safe.
/// @param error_value an errno value.
/// @return the symbolic name.
[[nodiscard]] std::string errno_name(int error_value);
/// "Address already in use" (not localised, thread-safe); "Unknown error 4242" for
/// a value the C library does not know.
/// @param error_value an errno value.
/// @return the C library's description.
[[nodiscard]] std::string errno_text(int error_value);
/// "EADDRINUSE (Address already in use)". Thread safe.
/// @param error_value an errno value.
/// @return errno_name and errno_text together.
[[nodiscard]] std::string describe_errno(int error_value);

}  // namespace berth
