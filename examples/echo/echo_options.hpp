// The command line of the example servers (berth-echo, berth-http): parsed into
// options, or refused with a message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "berth/core/options.hpp"
#include "berth/posix/listen_spec.hpp"
#include "command_line.hpp"

namespace berth::echo {

/// The usage text, after "usage: <program>".
inline constexpr const char* usage_flags =
    " [--backend asio|uv] [--listen ADDR] [--max-connections N]\n"
    "    [--max-accepts-per-batch N] [--backlog N]\n"
    "    [--on-handler-error raise|ignore|call] [--drop-incoming]\n"
    "    [--buffer-age-limit SECONDS|unlimited] [--buffer-limit BYTES|unlimited]\n"
    "    [--close-existing-connections]\n"
    "ADDR: HOST:PORT (IPv4, or [IPv6]:PORT; port 0 lets the OS choose), unix:PATH, or\n"
    "unix:@NAME (abstract). Default 127.0.0.1:7000.\n"
    "--buffer-limit: the most bytes a connection's writer may hold (default 1048576).\n";

struct echo_options {
    echo_backend backend = echo_backend::asio;
    posix::listen_spec listen = posix::listen_spec::of_port(7000);
    /// max_connections 0: the backend's default (90% of the descriptor limit).
    core::options server;
    bool close_existing_connections = false;
    bool help = false;
};

/// The options, or throws std::invalid_argument with a message naming the flag
/// and what is wrong. `args` excludes the program name.
[[nodiscard]] echo_options parse_echo_options(const std::vector<std::string>& args);

}  // namespace berth::echo
