// An example server on the libuv backend (--backend uv): the same signals, output
// and exit codes as on the Asio backend (echo_serve.hpp, echo_report.hpp).
#pragma once

#include "berth/core/options.hpp"
#include "berth/handler.hpp"
#include "berth/posix/listen_spec.hpp"
#include "echo_serve.hpp"

namespace berth::uv {
class server;
}  // namespace berth::uv

namespace berth::echo {

/// Serves `handler` on `listen` on a libuv loop of its own until the server has
/// closed (SIGINT or SIGTERM, closed by `close`) or an error is raised; returns the
/// process's exit code: 0 after a close, 1 when bind or listen failed, 2 for refused
/// options, 70 when an error was raised (a fatal accept error, the `raise` policy).
[[nodiscard]] int run_uv(const posix::listen_spec& listen, const core::options& options,
                         const reader_writer_handler& handler,
                         const signal_close<uv::server>& close);

}  // namespace berth::echo
