// berth-chat on an io_context, signals through asio::signal_set.
#include <csignal>
#include <exception>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "berth/asio/server.hpp"
#include "berth/errors.hpp"
#include "chat_backends.hpp"
#include "chat_handler.hpp"
#include "echo_report.hpp"
#include "echo_serve.hpp"

namespace berth::chat {

namespace {

namespace net = boost::asio;

struct asio_chat {
    net::signal_set& signals;
    asio::server& server;
    room& members;
    std::chrono::milliseconds drain_deadline;
    bool closing = false;
};

// Signals are watched until the server has finished; then nothing is left to run.
void watch_signals(asio_chat& chat) {
    chat.signals.async_wait([&chat](const boost::system::error_code& ec, int signal_number) {
        if (ec) return;  // cancelled: the server has finished
        asio::server& s = chat.server;
        echo::on_echo_signal(
            s, signal_number, chat.closing,
            [&chat, &s](auto finished) {
                start_drain(
                    chat.members, [&] { s.close_with_drain(chat.drain_deadline, [] {}); },
                    [&s](auto done) { s.handlers_finished(std::move(done)); }, std::move(finished));
            },
            [&chat] { chat.signals.cancel(); });
        watch_signals(chat);
    });
}

}  // namespace

int run_chat_asio(const chat_options& opts) {
    // The room outlives the loop: the loop's destruction ends any handler left,
    // and a handler leaves the room as it ends.
    room members(opts.server.max_connections);
    net::io_context ctx(1);
    // Installed before the server exists, so no signal is lost after "listening on".
    net::signal_set signals(ctx, SIGUSR1, SIGUSR2, SIGINT);
    signals.add(SIGTERM);
    std::optional<asio::server> s;
    try {
        s.emplace(asio::server::create(ctx, opts.listen, opts.server, chat_handler(members),
                                       echo::echo_hooks()));
    } catch (const creation_error& e) {
        echo::print_error(e.what());
        return echo::exit_usage;
    } catch (const listen_error& e) {
        echo::print_error(e.what());
        return echo::exit_bind_failed;
    }
    echo::print_line_to_stdout("listening on " + echo::address_text(*s) + "\n");

    asio_chat chat{signals, *s, members, opts.drain_deadline};
    watch_signals(chat);
    try {
        ctx.run();
    } catch (const std::exception& e) {
        // A fatal accept error, or the error hook failing: the error ends the process.
        echo::print_error(e.what());
        return echo::exit_handler_error;
    }
    return echo::exit_ok;
}

}  // namespace berth::chat
