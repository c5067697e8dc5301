// What the example servers (berth-echo, berth-http) print and how they exit, the
// same for every backend: the "listening on" line, the statistics line, handler
// errors, and exit codes.
#pragma once

#include <cstdint>
#include <exception>
#include <string>

#include "berth/address.hpp"
#include "berth/core/statistics.hpp"

namespace berth::echo {

inline constexpr int exit_ok = 0;
inline constexpr int exit_bind_failed = 1;
inline constexpr int exit_usage = 2;
inline constexpr int exit_handler_error = 70;  // EX_SOFTWARE

/// "127.0.0.1:7000", "[::1]:7000", "unix:/path" or "unix:@name": the address the
/// server really listens on. `address` is asked of the socket only for TCP.
template <typename Server>
[[nodiscard]] std::string address_text(const Server& s) {
    const listen_endpoint& where = s.listening_on();
    if (where.is_unix) return "unix:" + where.path;
    return s.listening_on_address().to_string();
}

/// One JSON line (with its newline): num_connections, the statistics, drop mode
/// and closed state.
[[nodiscard]] std::string statistics_line(const core::statistics& stats,
                                          std::uint32_t num_connections, bool dropping,
                                          bool closed);

/// Writes `line` to stdout and flushes: the tests read it through a pipe.
void print_line_to_stdout(const std::string& line);

template <typename Server>
void print_statistics(const Server& s) {
    print_line_to_stdout(statistics_line(s.stats(), s.num_connections(),
                                         s.is_dropping_incoming_connections(), s.is_closed()));
}

/// The name the messages start with ("berth-echo"); set once, at the start.
void set_program_name(const char* name);

/// The `call` policy: one line on stderr per handler error.
void print_handler_error(const address& peer, const std::exception_ptr& error);

/// "<program>: <message>" on stderr.
void print_error(const std::string& message);

}  // namespace berth::echo
