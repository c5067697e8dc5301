// The example servers' libuv side: their one handler on a uv loop, signals through
// uv_signal_t.
#include "uv_backend.hpp"

#include <array>
#include <csignal>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>

#include <uv.h>

#include "berth/errors.hpp"
#include "berth/uv/run.hpp"
#include "berth/uv/server.hpp"
#include "echo_report.hpp"
#include "echo_serve.hpp"

namespace berth::echo {

namespace {

struct echo_state {
    explicit echo_state(const signal_close<uv::server>& c) : close(c) {}
    const signal_close<uv::server>& close;
    std::optional<uv::server> server;
    bool closing = false;
    std::array<uv_signal_t, 4> signals{};
};

void close_signals(echo_state& state) {
    for (uv_signal_t& sig : state.signals)
        if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&sig))) {
            uv_close(reinterpret_cast<uv_handle_t*>(&sig), nullptr);
        }
}

void on_signal(uv_signal_t* handle, int signal_number) {
    auto& state = *static_cast<echo_state*>(handle->data);
    if (!state.server) return;  // not serving yet
    uv::server& s = *state.server;
    on_echo_signal(
        s, signal_number, state.closing,
        [&s, &state](std::function<void()> finished) { state.close(s, std::move(finished)); },
        // Nothing is left to run once the signals are closed: the loop ends.
        [&state] { close_signals(state); });
}

}  // namespace

int run_uv(const posix::listen_spec& listen, const core::options& options,
           const reader_writer_handler& handler, const signal_close<uv::server>& close) {
    uv_loop_t loop{};
    if (uv_loop_init(&loop) != 0) {
        print_error("cannot create the libuv loop");
        return exit_handler_error;
    }
    echo_state state(close);
    // Installed before the server exists, so no signal is lost after "listening on".
    constexpr std::array<int, 4> watched = {SIGUSR1, SIGUSR2, SIGINT, SIGTERM};
    for (std::size_t i = 0; i < watched.size(); ++i) {
        static_cast<void>(uv_signal_init(&loop, &state.signals[i]));
        state.signals[i].data = &state;
        static_cast<void>(uv_signal_start(&state.signals[i], on_signal, watched[i]));
    }
    const auto fail_early = [&](const char* message, int code) {
        print_error(message);
        close_signals(state);
        static_cast<void>(uv_run(&loop, UV_RUN_DEFAULT));
        static_cast<void>(uv_loop_close(&loop));
        return code;
    };
    try {
        state.server.emplace(uv::server::create(&loop, listen, options, handler, echo_hooks()));
    } catch (const creation_error& e) {
        return fail_early(e.what(), exit_usage);
    } catch (const listen_error& e) {
        return fail_early(e.what(), exit_bind_failed);
    }
    print_line_to_stdout("listening on " + address_text(*state.server) + "\n");

    int exit_code = exit_ok;
    // A raised error (the `raise` policy, a fatal accept error) ends the
    // process with 70. The loop still winds down first: the server closes its
    // connections and handles, so nothing is left open or allocated at exit. Each
    // run ends either normally or with one more raised error; a connection closed
    // here may raise once more, so the number of runs is bounded by the
    // connections there were, plus one.
    const std::uint32_t runs_max = state.server->options().max_connections + 1;
    for (std::uint32_t runs = 0; runs <= runs_max; ++runs) {
        try {
            static_cast<void>(uv::run(&loop, UV_RUN_DEFAULT));
            break;
        } catch (const std::exception& e) {
            if (exit_code == exit_ok) print_error(e.what());
            exit_code = exit_handler_error;
            state.server->close(/*close_existing_connections=*/true);
            close_signals(state);
        }
    }
    state.server.reset();
    static_cast<void>(uv_loop_close(&loop));
    return exit_code;
}

}  // namespace berth::echo
