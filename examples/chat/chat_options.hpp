// berth-chat's command line: parsed into options, or refused with a message naming
// the flag, the value and the rule.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "berth/core/options.hpp"
#include "berth/posix/listen_spec.hpp"
#include "chat_handler.hpp"
#include "echo_options.hpp"

namespace berth::chat {

/// The usage text, after "usage: <program>".
inline constexpr const char* usage_flags =
    " [--backend asio|uv] [--listen ADDR] [--max-connections N]\n"
    "    [--buffer-limit-bytes N] [--drain-deadline-ms N]\n"
    "ADDR: HOST:PORT (IPv4, or [IPv6]:PORT; port 0 lets the OS choose), unix:PATH, or\n"
    "unix:@NAME (abstract). Default 127.0.0.1:7000.\n"
    "--max-connections: clients in the room at once (default 256).\n"
    "--buffer-limit-bytes: the most the server holds for one client that does not\n"
    "    read; past it that client is cut off (default 262144, at least 32768).\n"
    "--drain-deadline-ms: after SIGTERM or SIGINT, how long clients may stay before\n"
    "    the server closes them (default 5000).\n";

inline constexpr std::uint32_t default_max_connections = 256;
inline constexpr std::uint64_t default_buffer_limit_bytes = std::uint64_t{256} * 1024;
/// Eight times the longest line: a broadcaster lets the loop run after a quarter of
/// a writer's limit (chat_handler.cpp), so a reader that keeps up holds a few
/// messages at most; a smaller limit would cut such readers off.
inline constexpr std::uint64_t buffer_limit_bytes_min = 8 * line_length_max;
inline constexpr std::uint64_t buffer_limit_bytes_max = std::uint64_t{1} << 30;
inline constexpr std::int64_t drain_deadline_ms_max = 3'600'000;

struct chat_options {
    echo::echo_backend backend = echo::echo_backend::asio;
    posix::listen_spec listen = posix::listen_spec::of_port(7000);
    core::options server;
    std::chrono::milliseconds drain_deadline{5000};
    bool help = false;
};

/// The options, or throws std::invalid_argument with a message naming the flag and
/// what is wrong. `args` excludes the program name.
[[nodiscard]] chat_options parse_chat_options(const std::vector<std::string>& args);

}  // namespace berth::chat
