// Serving an example's one handler on the backend its command line chose. The
// close is given once, as a generic callable `close(server, finished)`: it is
// called with the backend's own server, and must start that server's close and run
// `finished` once its handlers have finished. Each backend supplies only its loop
// and its signal watching (asio_backend.cpp, uv_backend.cpp).
#pragma once

#include <functional>

#include "berth/core/options.hpp"
#include "berth/handler.hpp"
#include "berth/posix/listen_spec.hpp"
#include "command_line.hpp"
#include "echo_report.hpp"
#ifdef BERTH_EXAMPLE_HAVE_ASIO
#include "asio_backend.hpp"
#include "berth/asio/server.hpp"
#endif
#ifdef BERTH_EXAMPLE_HAVE_UV
#include "berth/uv/server.hpp"
#include "uv_backend.hpp"
#endif

namespace berth::echo {

/// Serves `handler` on `listen` on `backend` until the server has closed or an
/// error is raised; returns the process's exit code (echo_report.hpp).
template <typename Close>
[[nodiscard]] int run_on_backend(echo_backend backend, const posix::listen_spec& listen,
                                 const core::options& options, const reader_writer_handler& handler,
                                 const Close& close) {
    switch (backend) {
#ifdef BERTH_EXAMPLE_HAVE_ASIO
        case echo_backend::asio:
            return run_asio(listen, options, handler,
                            [&close](asio::server& s, std::function<void()> finished) {
                                close(s, std::move(finished));
                            });
#endif
#ifdef BERTH_EXAMPLE_HAVE_UV
        case echo_backend::uv:
            return run_uv(listen, options, handler,
                          [&close](uv::server& s, std::function<void()> finished) {
                              close(s, std::move(finished));
                          });
#endif
        default: break;
    }
    print_error("this build has no such backend");
    return exit_usage;
}

}  // namespace berth::echo
