// berth-chat's close. Its loop, signals, output and exit codes are berth-echo's
// (run_on_backend.hpp, echo_serve.hpp: SIGUSR1 drop mode, SIGUSR2 the statistics
// line, the first SIGINT or SIGTERM closes, the final statistics line once the
// handlers have finished); the close of SIGINT and SIGTERM is the drain below.
#pragma once

#include <chrono>
#include <functional>
#include <string_view>
#include <utility>

#include "chat_room.hpp"

namespace berth::chat {

/// What every member hears when the drain begins.
inline constexpr std::string_view shutting_down_line = "* server shutting down\n";

/// The close of SIGINT and SIGTERM: the listener of `s` closes now (no client joins
/// any more), every member is told, and those still connected `drain_deadline`
/// later are closed by the server; `finished` runs once no connection is left.
/// `Server` is either backend's server.
template <typename Server>
void start_drain(room& r, Server& s, std::chrono::milliseconds drain_deadline,
                 std::function<void()> finished) {
    s.close_with_drain(drain_deadline, [] {});
    r.tell_everyone(shutting_down_line);
    s.handlers_finished(std::move(finished));
}

}  // namespace berth::chat
