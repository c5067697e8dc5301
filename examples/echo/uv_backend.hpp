// berth-echo on the libuv backend (--backend uv): the same protocol, signals,
// output and exit codes as the Asio backend (main.cpp, docs/asio.md).
#pragma once

#include "berth/handler.hpp"
#include "echo_options.hpp"

namespace berth::echo {

/// Serves `opts` on a libuv loop of its own until the server has closed (SIGINT or
/// SIGTERM) or an error is raised; returns the process's exit code: 0 after a
/// close, 1 when bind or listen failed, 2 for refused options, 70 when an error
/// was raised (--on-handler-error raise, a fatal accept error).
[[nodiscard]] int run_echo_uv(const echo_options& opts, const reader_writer_handler& handler);

}  // namespace berth::echo
