#include "example_main.hpp"

#include <csignal>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "echo_options.hpp"
#include "echo_report.hpp"
#include "run_on_backend.hpp"

namespace berth::echo {

int run_example(const char* program, const reader_writer_handler& handler, int argc, char** argv) {
    set_program_name(program);
    const std::vector<std::string> args(argv + 1, argv + argc);
    echo_options opts;
    try {
        opts = parse_echo_options(args);
    } catch (const std::invalid_argument& e) {
        std::cerr << program << ": " << e.what() << "\nusage: " << program << usage_flags;
        return exit_usage;
    }
    if (opts.help) {
        std::cout << "usage: " << program << usage_flags;
        return exit_ok;
    }
    // A peer that leaves while we write must not kill the process.
    static_cast<void>(std::signal(SIGPIPE, SIG_IGN));
    const bool close_existing = opts.close_existing_connections;
    return run_on_backend(opts.backend, opts.listen, opts.server, handler,
                          [close_existing](auto& s, std::function<void()> finished) {
                              s.close(close_existing, [] {});
                              s.handlers_finished(std::move(finished));
                          });
}

}  // namespace berth::echo
