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

std::optional<int> start_example(
    const char* program, std::string_view usage, std::string_view help_more, int argc, char** argv,
    const std::function<bool(const std::vector<std::string>& args)>& parse) {
    set_program_name(program);
    bool help = false;
    try {
        help = parse(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const std::invalid_argument& e) {
        std::cerr << program << ": " << e.what() << "\nusage: " << program << usage;
        return exit_usage;
    }
    if (help) {
        std::cout << "usage: " << program << usage << help_more;
        return exit_ok;
    }
    static_cast<void>(std::signal(SIGPIPE, SIG_IGN));
    return std::nullopt;
}

int run_example(const char* program, const reader_writer_handler& handler, int argc, char** argv) {
    echo_options opts;
    if (const std::optional<int> code =
            start_example(program, usage_flags, "", argc, argv, [&](const auto& args) {
                opts = parse_echo_options(args);
                return opts.help;
            })) {
        return *code;
    }
    const bool close_existing = opts.close_existing_connections;
    return run_on_backend(opts.backend, opts.listen, opts.server, handler,
                          [close_existing](auto& s, std::function<void()> finished) {
                              s.close(close_existing, [] {});
                              s.handlers_finished(std::move(finished));
                          });
}

}  // namespace berth::echo
