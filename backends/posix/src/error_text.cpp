#include "berth/posix/error_text.hpp"

#include <cstring>

namespace berth::posix {

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

}  // namespace berth::posix
