// What the berth-chat tests share: a client is in the room once it has read its
// welcome line, which names it.
#pragma once

#include <optional>
#include <string>

#include <doctest/doctest.h>

#include "echo_support.hpp"

namespace berth::chat_test {

using echo_test::echo_process;
using echo_test::line_client;
using echo_test::wait_ms;

inline constexpr const char* welcome_prefix = "* welcome ";

/// Reads the welcome line and returns the name it gives ("127.0.0.1:PORT").
inline std::string joined_as(line_client& client) {
    const std::optional<std::string> welcome = client.line();
    REQUIRE(welcome.has_value());
    REQUIRE(welcome->rfind(welcome_prefix, 0) == 0);
    return welcome->substr(std::string(welcome_prefix).size());
}

}  // namespace berth::chat_test
