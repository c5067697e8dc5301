#include "example_main.hpp"

#include <csignal>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "echo_options.hpp"
#include "echo_report.hpp"
#ifdef BERTH_ECHO_HAVE_ASIO
#include "asio_backend.hpp"
#endif
#ifdef BERTH_ECHO_HAVE_UV
#include "uv_backend.hpp"
#endif

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
    switch (opts.backend) {
#ifdef BERTH_ECHO_HAVE_ASIO
        case echo_backend::asio: return run_echo_asio(opts, handler);
#endif
#ifdef BERTH_ECHO_HAVE_UV
        case echo_backend::uv: return run_echo_uv(opts, handler);
#endif
        default: break;
    }
    std::cerr << program << ": this build has no such backend\n";
    return exit_usage;
}

}  // namespace berth::echo
