// berth-echo on the Boost.Asio backend (--backend asio, the default).
#pragma once

#include "berth/handler.hpp"
#include "echo_options.hpp"

namespace berth::echo {

/// Serves `opts` on an io_context of its own until the server has closed (SIGINT
/// or SIGTERM) or an error is raised; returns the process's exit code
/// (echo_report.hpp).
[[nodiscard]] int run_echo_asio(const echo_options& opts, const reader_writer_handler& handler);

}  // namespace berth::echo
