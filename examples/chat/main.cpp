// berth-chat: a line-based chat room, one portable handler (chat_handler.hpp) on
// Asio or libuv (--backend). README.md says how to run it and what it shows;
// tests/chat drives this binary on every backend of the build.
#include <csignal>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "chat_backends.hpp"
#include "chat_options.hpp"
#include "echo_report.hpp"

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
    switch (opts.backend) {
#ifdef BERTH_CHAT_HAVE_ASIO
        case echo::echo_backend::asio: return chat::run_chat_asio(opts);
#endif
#ifdef BERTH_CHAT_HAVE_UV
        case echo::echo_backend::uv: return chat::run_chat_uv(opts);
#endif
        default: break;
    }
    std::cerr << program << ": this build has no such backend\n";
    return echo::exit_usage;
}
