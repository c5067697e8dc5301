#include "berth/errors.hpp"

#include <cstring>
#include <utility>

#include "berth/detail/printable.hpp"

namespace berth {

// glibc's strerrorname_np and strerrordesc_np (2.32+) are thread-safe and, unlike
// strerror, do not depend on the locale: messages read the same in every log.
std::string errno_name(int error_value) {
    const char* name = strerrorname_np(error_value);
    if (name == nullptr) return "errno " + std::to_string(error_value);
    return name;
}

std::string errno_text(int error_value) {
    const char* text = strerrordesc_np(error_value);
    if (text == nullptr) return "Unknown error " + std::to_string(error_value);
    return text;
}

std::string describe_errno(int error_value) {
    return errno_name(error_value) + " (" + errno_text(error_value) + ")";
}

namespace detail {

std::string printable(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c == '\0') {
            out += "\\0";
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace detail

namespace {

std::string compose(const std::string& operation, const std::string& address, int error_value,
                    const std::string& hint, std::uint32_t attempts) {
    std::string out = operation + " " + detail::printable(address) + " failed";
    if (attempts > 1) out += " after " + std::to_string(attempts) + " attempts";
    out += ": " + describe_errno(error_value);
    if (!hint.empty()) out += "; " + hint;
    return out;
}

}  // namespace

listen_error::listen_error(std::string operation, std::string address, int error_value,
                           std::string hint, std::uint32_t attempts)
    : std::system_error(error_value, std::generic_category()),
      message_(compose(operation, address, error_value, hint, attempts)),
      operation_(std::move(operation)),
      address_(std::move(address)),
      hint_(std::move(hint)),
      attempts_(attempts) {}

}  // namespace berth
