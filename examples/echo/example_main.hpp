// The main of the example servers (berth-echo, berth-http): one portable handler,
// served on the backend the command line chooses, with the same flags, output,
// signals and exit codes (docs/asio.md).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/handler.hpp"

namespace berth::echo {

/// How every example's main begins. Names the program for its messages and calls
/// `parse` with the arguments (program name excluded); `parse` keeps the options it
/// made and returns whether --help was asked. A refusal (std::invalid_argument)
/// prints "<program>: <why>" and the usage to stderr and gives exit_usage; --help
/// prints the usage and `help_more` to stdout and gives exit_ok: the program returns
/// that code. Otherwise SIGPIPE is ignored (a peer that leaves while the server
/// writes must not kill the process) and nothing is returned: the program serves.
/// `usage` is what follows "usage: <program>".
[[nodiscard]] std::optional<int> start_example(
    const char* program, std::string_view usage, std::string_view help_more, int argc, char** argv,
    const std::function<bool(const std::vector<std::string>& args)>& parse);

/// Parses the command line, serves `handler` until a signal closes the server or an
/// error is raised, and returns the exit code. `program` starts every message.
[[nodiscard]] int run_example(const char* program, const reader_writer_handler& handler, int argc,
                              char** argv);

}  // namespace berth::echo
