// The main of the example servers (berth-echo, berth-http): one portable handler,
// served on the backend the command line chooses, with the same flags, output,
// signals and exit codes (docs/asio.md).
#pragma once

#include "berth/handler.hpp"

namespace berth::echo {

/// Parses the command line, serves `handler` until a signal closes the server or an
/// error is raised, and returns the exit code. `program` starts every message.
[[nodiscard]] int run_example(const char* program, const reader_writer_handler& handler, int argc,
                              char** argv);

}  // namespace berth::echo
