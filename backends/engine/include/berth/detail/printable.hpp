// Text a user gave, as a message can carry it. what() is a C string: a NUL byte in
// it would end the message there, cutting off the reason after it. Used by every
// message that quotes an address or a name (listen_error, the listen text parser).
#pragma once

#include <string>
#include <string_view>

namespace berth::detail {

/// `text` with each NUL byte written as the two characters `\0`.
[[nodiscard]] std::string printable(std::string_view text);

}  // namespace berth::detail
