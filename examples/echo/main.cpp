// berth-echo: a line-protocol echo server, the project's main job. Its behaviour
// is specified in docs/asio.md and checked by tests/echo, which drive this binary
// on every backend of the build.
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

int main(int argc, char** argv) {
    using namespace berth::echo;
    const std::vector<std::string> args(argv + 1, argv + argc);
    echo_options opts;
    try {
        opts = parse_echo_options(args);
    } catch (const std::invalid_argument& e) {
        std::cerr << "berth-echo: " << e.what() << '\n' << usage_text;
        return exit_usage;
    }
    if (opts.help) {
        std::cout << usage_text;
        return exit_ok;
    }
    // A peer that leaves while we write must not kill the process.
    static_cast<void>(std::signal(SIGPIPE, SIG_IGN));
    switch (opts.backend) {
#ifdef BERTH_ECHO_HAVE_ASIO
        case echo_backend::asio: return run_echo_asio(opts);
#endif
#ifdef BERTH_ECHO_HAVE_UV
        case echo_backend::uv: return run_echo_uv(opts);
#endif
        default: break;
    }
    std::cerr << "berth-echo: this build has no such backend\n";
    return exit_usage;
}
