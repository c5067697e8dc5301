#include "berth/posix/listen_error.hpp"

#include <utility>

#include "berth/posix/error_text.hpp"

namespace berth::posix {

namespace {

std::string compose(const std::string& operation, const std::string& address, int error_value,
                    const std::string& hint, std::uint32_t attempts) {
    std::string out = operation + " " + address + " failed";
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

}  // namespace berth::posix
