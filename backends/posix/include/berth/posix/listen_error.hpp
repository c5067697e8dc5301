// The error of a failed listener creation: which step failed, on which address,
// with which system error, and what the operator can do about it.
#pragma once

#include <cstdint>
#include <string>
#include <system_error>

namespace berth::posix {

/// what(): "<operation> <address> failed[ after N attempts]: <NAME> (<text>)[; <hint>]",
/// for example
///   "bind 127.0.0.1:80 failed: EACCES (Permission denied); ports below 1024 need
///    root or the CAP_NET_BIND_SERVICE capability".
/// code() is the errno value in std::generic_category().
class listen_error : public std::system_error {
public:
    listen_error(std::string operation, std::string address, int error_value, std::string hint,
                 std::uint32_t attempts = 1);

    [[nodiscard]] const std::string& operation() const { return operation_; }
    [[nodiscard]] const std::string& address() const { return address_; }
    [[nodiscard]] int error_value() const { return code().value(); }
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

}  // namespace berth::posix
