/// @file
/// The text form of a listen specification, as a command line gives it (the echo
/// server's --listen).
#pragma once

#include <stdexcept>
#include <string_view>

#include "berth/posix/listen_spec.hpp"

namespace berth::posix {

/// Accepted forms (PORT is 0 to 65535; 0 lets the OS choose):
/// @verbatim
///   HOST:PORT       HOST is an IPv4 address, "localhost" (127.0.0.1), or "*" or
///                   nothing for all IPv4 addresses: "127.0.0.1:8080", ":0", "*:80"
///   [IPv6]:PORT     "[::1]:8080", "[::]:0" (every address), "[fe80::1%eth0]:80"
///   unix:PATH       a socket file: "unix:/run/echo.sock", "unix:./echo.sock"
///   unix:@NAME      a Linux abstract name: "unix:@echo"
/// @endverbatim
/// Host names other than localhost are refused: nothing is resolved. Pure.
/// @param text the command line's value; not kept.
/// @return the spec, with the default socket options.
/// @throws std::invalid_argument whose what() quotes the input, says what is wrong
///   and lists the accepted forms: "invalid listen address \"x\": <reason>; <forms>".
[[nodiscard]] listen_spec parse_listen_spec(std::string_view text);

}  // namespace berth::posix
