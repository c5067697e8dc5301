// berth-chat: a line-based chat room, one portable handler (chat_handler.hpp) on
// Asio or libuv (--backend). README.md says how to run it and what it shows;
// tests/chat drives this binary on every backend of the build.
#include <csignal>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "chat_drain.hpp"
#include "chat_handler.hpp"
#include "chat_options.hpp"
#include "chat_room.hpp"
#include "echo_report.hpp"
#include "run_on_backend.hpp"

int main(int argc, char** argv) {
    using namespace berth;
    constexpr const char* program = "berth-chat";
    echo::set_program_name(program);
    const std::vector<std::string> args(argv + 1, argv + argc);
    chat::chat_options opts;
    try {
        opts = chat::parse_chat_options(args);
    } catch (const std::invalid_argument& e) {
        std::cerr << program << ": " << e.what() << "\nusage: " << program << chat::usage_flags;
        return echo::exit_usage;
    }
    if (opts.help) {
        std::cout << "usage: " << program << chat::usage_flags;
        return echo::exit_ok;
    }
    // A client that leaves while the server writes must not kill the process.
    static_cast<void>(std::signal(SIGPIPE, SIG_IGN));
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
