// berth-chat on a libuv loop, signals through uv_signal_t.
#include <array>
#include <csignal>
#include <cstdint>
#include <exception>
#include <optional>

#include <uv.h>

#include "berth/errors.hpp"
#include "berth/uv/run.hpp"
#include "berth/uv/server.hpp"
#include "chat_backends.hpp"
#include "chat_handler.hpp"
#include "echo_report.hpp"
#include "echo_serve.hpp"

namespace berth::chat {

namespace {

struct uv_chat {
    explicit uv_chat(room& r) : members(r) {}
    room& members;
    std::chrono::milliseconds drain_deadline{0};
    std::optional<uv::server> server;
    bool closing = false;
    std::array<uv_signal_t, 4> signals{};
};

void close_signals(uv_chat& chat) {
    for (uv_signal_t& sig : chat.signals)
        if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&sig))) {
            uv_close(reinterpret_cast<uv_handle_t*>(&sig), nullptr);
        }
}

void on_signal(uv_signal_t* handle, int signal_number) {
    auto& chat = *static_cast<uv_chat*>(handle->data);
    if (!chat.server) return;  // not serving yet
    uv::server& s = *chat.server;
    echo::on_echo_signal(
        s, signal_number, chat.closing,
        [&chat, &s](auto finished) {
            start_drain(
                chat.members, [&] { s.close_with_drain(chat.drain_deadline); },
                [&s](auto done) { s.handlers_finished(std::move(done)); }, std::move(finished));
        },
        // Nothing is left to run once the signals are closed: the loop ends.
        [&chat] { close_signals(chat); });
}

}  // namespace

int run_chat_uv(const chat_options& opts) {
    // The room outlives the loop and the server: a handler leaves it as it ends.
    room members(opts.server.max_connections);
    uv_loop_t loop{};
    if (uv_loop_init(&loop) != 0) {
        echo::print_error("cannot create the libuv loop");
        return echo::exit_handler_error;
    }
    uv_chat chat(members);
    chat.drain_deadline = opts.drain_deadline;
    // Installed before the server exists, so no signal is lost after "listening on".
    constexpr std::array<int, 4> watched = {SIGUSR1, SIGUSR2, SIGINT, SIGTERM};
    for (std::size_t i = 0; i < watched.size(); ++i) {
        static_cast<void>(uv_signal_init(&loop, &chat.signals[i]));
        chat.signals[i].data = &chat;
        static_cast<void>(uv_signal_start(&chat.signals[i], on_signal, watched[i]));
    }
    const auto fail_early = [&](const char* message, int code) {
        echo::print_error(message);
        close_signals(chat);
        static_cast<void>(uv_run(&loop, UV_RUN_DEFAULT));
        static_cast<void>(uv_loop_close(&loop));
        return code;
    };
    try {
        chat.server.emplace(uv::server::create(&loop, opts.listen, opts.server,
                                               chat_handler(members), echo::echo_hooks()));
    } catch (const creation_error& e) {
        return fail_early(e.what(), echo::exit_usage);
    } catch (const listen_error& e) {
        return fail_early(e.what(), echo::exit_bind_failed);
    }
    echo::print_line_to_stdout("listening on " + echo::address_text(*chat.server) + "\n");

    int exit_code = echo::exit_ok;
    // A raised error (a fatal accept error, the error hook failing) ends the process
    // with 70, after the loop has wound down: the server closes its connections and
    // handles, so nothing is left open at exit. Each run ends normally or with one
    // more raised error, at most one per connection there was, plus one.
    const std::uint32_t runs_max = opts.server.max_connections + 1;
    for (std::uint32_t runs = 0; runs <= runs_max; ++runs) {
        try {
            static_cast<void>(uv::run(&loop, UV_RUN_DEFAULT));
            break;
        } catch (const std::exception& e) {
            if (exit_code == echo::exit_ok) echo::print_error(e.what());
            exit_code = echo::exit_handler_error;
            chat.server->close(/*close_existing_connections=*/true);
            close_signals(chat);
        }
    }
    chat.server.reset();
    static_cast<void>(uv_loop_close(&loop));
    return exit_code;
}

}  // namespace berth::chat
