// berth-chat on each real backend: the loop, its signal watching and the drain.
// The signals are berth-echo's (echo_serve.hpp: SIGUSR1 drop mode, SIGUSR2 the
// statistics line, the first SIGINT or SIGTERM closes, the final statistics line
// once the handlers have finished); the close is the drain below. Each returns the
// process's exit code (echo_report.hpp).
#pragma once

#include <string_view>
#include <utility>

#include "chat_options.hpp"
#include "chat_room.hpp"

namespace berth::chat {

/// What every member hears when the drain begins.
inline constexpr std::string_view shutting_down_line = "* server shutting down\n";

/// The close of SIGINT and SIGTERM: the listener closes now (no client joins any
/// more), every member is told, and those still connected `drain_deadline` later
/// are closed by the server; `finished` runs once no connection is left.
/// `close_with_drain(deadline)` and `handlers_finished(finished)` are the backend's.
template <typename CloseWithDrain, typename HandlersFinished, typename Finished>
void start_drain(room& r, CloseWithDrain&& close_with_drain, HandlersFinished&& handlers_finished,
                 Finished finished) {
    std::forward<CloseWithDrain>(close_with_drain)();
    r.tell_everyone(shutting_down_line);
    std::forward<HandlersFinished>(handlers_finished)(std::move(finished));
}

#ifdef BERTH_CHAT_HAVE_ASIO
[[nodiscard]] int run_chat_asio(const chat_options& opts);
#endif
#ifdef BERTH_CHAT_HAVE_UV
[[nodiscard]] int run_chat_uv(const chat_options& opts);
#endif

}  // namespace berth::chat
