// The pieces every example server's command line is parsed with (berth-echo,
// berth-http, berth-chat, berth-reuseport), so that the same mistake gets the same
// message from each: "<flag>: invalid value '<value>': <rule>", "<flag>: missing
// value", "<flag>: takes no value".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "berth/posix/listen_spec.hpp"

namespace berth::echo {

enum class echo_backend : std::uint8_t { asio, uv };

/// Throws std::invalid_argument "<flag>: invalid value '<value>': <rule>".
[[noreturn]] void refuse_value(const std::string& flag, const std::string& value,
                               const std::string& rule);

/// `value` as a decimal integer from `min` to `max`; otherwise refused with "expected
/// an integer" (not one, or nothing after it may follow) or "must be between <min>
/// and <max>".
[[nodiscard]] std::int64_t parse_integer(const std::string& flag, const std::string& value,
                                         std::int64_t min, std::int64_t max);

/// "asio" or "uv", if this build has that backend; otherwise refused with the list
/// of the backends it has.
[[nodiscard]] echo_backend parse_backend(const std::string& flag, const std::string& value);

/// ADDR (posix::parse_listen_spec), refused with its parser's message after the flag.
[[nodiscard]] posix::listen_spec parse_listen(const std::string& flag, const std::string& value);

/// Walks a command line flag by flag, `--flag VALUE` and `--flag=VALUE` alike.
/// Bounded by the arguments: each next() and value() consumes one.
class flag_walk {
public:
    /// `args` excludes the program name and must outlive the walk.
    explicit flag_walk(const std::vector<std::string>& args) : args_(args) {}

    /// Moves to the next flag; false once the arguments are used up.
    [[nodiscard]] bool next();
    /// The flag, without its "=VALUE".
    [[nodiscard]] const std::string& flag() const { return flag_; }
    /// The argument as it was written (for "unknown argument").
    [[nodiscard]] const std::string& argument() const { return args_[at_]; }
    /// The flag's value: after '=', or the next argument; throws "<flag>: missing
    /// value" when there is none.
    [[nodiscard]] std::string value();
    /// Throws "<flag>: takes no value" if the flag was written with "=VALUE".
    void no_value() const;

private:
    const std::vector<std::string>& args_;
    std::size_t at_ = 0;
    std::size_t next_ = 0;
    std::string flag_;
    std::optional<std::string> inline_value_;
};

}  // namespace berth::echo
