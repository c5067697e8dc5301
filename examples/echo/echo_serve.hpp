// What berth-echo serves, and how it answers signals, the same on every backend:
// the backends (asio_backend.cpp, uv_backend.cpp) supply only their loop, their
// signal watchers and the close call.
#pragma once

#include <csignal>
#include <functional>
#include <utility>

#include "berth/handler.hpp"
#include "echo_report.hpp"

namespace berth::echo {

/// The `call` policy prints each error (echo_report.hpp); notices are not printed.
[[nodiscard]] inline server_hooks echo_hooks() {
    server_hooks hooks;
    hooks.on_handler_error = print_handler_error;
    return hooks;
}

/// The close of the first SIGINT or SIGTERM: it must start the close of `s` and
/// run `finished` once the handlers of `s` have finished.
template <typename Server>
using signal_close = std::function<void(Server& s, std::function<void()> finished)>;

/// SIGUSR1 toggles drop mode, SIGUSR2 prints the statistics line, the first
/// SIGINT or SIGTERM calls `close_then(finished)`, which must start the server's
/// close and run `finished` once its handlers have finished; `finished` prints the
/// final statistics line and then `stop()` (which ends the signal watching, so that
/// the loop runs out of work). Later SIGINT/SIGTERM are ignored.
template <typename Server, typename CloseThen, typename Stop>
void on_echo_signal(Server& s, int signal_number, bool& closing, CloseThen&& close_then,
                    Stop stop) {
    if (signal_number == SIGUSR1) {
        s.set_drop_incoming_connections(!s.is_dropping_incoming_connections());
    } else if (signal_number == SIGUSR2) {
        print_statistics(s);
    } else if ((signal_number == SIGINT || signal_number == SIGTERM) && !closing) {
        closing = true;
        std::forward<CloseThen>(close_then)([&s, stop = std::move(stop)]() mutable {
            print_statistics(s);
            stop();
        });
    }
}

}  // namespace berth::echo
