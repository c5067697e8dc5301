// berth-chat: a line-based chat room, one portable handler (chat_handler.hpp) on
// Asio or libuv (--backend). README.md says how to run it and what it shows;
// tests/chat drives this binary on every backend of the build.
#include <chrono>
#include <functional>
#include <optional>

#include "chat_drain.hpp"
#include "chat_handler.hpp"
#include "chat_options.hpp"
#include "chat_room.hpp"
#include "example_main.hpp"
#include "run_on_backend.hpp"

int main(int argc, char** argv) {
    using namespace berth;
    constexpr const char* program = "berth-chat";
    chat::chat_options opts;
    if (const std::optional<int> code =
            echo::start_example(program, chat::usage_flags, "", argc, argv, [&](const auto& args) {
                opts = chat::parse_chat_options(args);
                return opts.help;
            })) {
        return *code;
    }
    // The room outlives the loop: the loop's end closes any handler left, and a
    // handler leaves the room as it ends.
    chat::room members(opts.server.max_connections);
    const std::chrono::milliseconds drain_deadline = opts.drain_deadline;
    return echo::run_on_backend(
        opts.backend, opts.listen, opts.server, chat::chat_handler(members),
        [&members, drain_deadline](auto& s, std::function<void()> finished) {
            chat::start_drain(members, s, drain_deadline, std::move(finished));
        });
}
