// An example server on the Boost.Asio backend (--backend asio, the default).
#pragma once

#include "berth/core/options.hpp"
#include "berth/handler.hpp"
#include "berth/posix/listen_spec.hpp"
#include "echo_serve.hpp"

namespace berth::asio {
class server;
}  // namespace berth::asio

namespace berth::echo {

/// Serves `handler` on `listen` on an io_context of its own until the server has
/// closed (SIGINT or SIGTERM, closed by `close`) or an error is raised; returns the
/// process's exit code (echo_report.hpp).
[[nodiscard]] int run_asio(const posix::listen_spec& listen, const core::options& options,
                           const reader_writer_handler& handler,
                           const signal_close<asio::server>& close);

}  // namespace berth::echo
