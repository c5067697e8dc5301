// The example servers' Asio side: their one handler on an io_context, signals
// through asio::signal_set.
#include "asio_backend.hpp"

#include <csignal>
#include <exception>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "berth/asio/server.hpp"
#include "berth/errors.hpp"
#include "echo_report.hpp"
#include "echo_serve.hpp"

namespace berth::echo {

namespace {

namespace net = boost::asio;

// Signals are watched until the server has finished; then nothing is left to run.
void watch_signals(net::signal_set& signals, asio::server& s,
                   const signal_close<asio::server>& close, bool& closing) {
    signals.async_wait(
        [&signals, &s, &close, &closing](const boost::system::error_code& ec, int signal_number) {
            if (ec) return;  // cancelled: the server has finished
            on_echo_signal(
                s, signal_number, closing,
                [&s, &close](std::function<void()> finished) { close(s, std::move(finished)); },
                [&signals] { signals.cancel(); });
            watch_signals(signals, s, close, closing);
        });
}

}  // namespace

int run_asio(const posix::listen_spec& listen, const core::options& options,
             const reader_writer_handler& handler, const signal_close<asio::server>& close) {
    net::io_context ctx(1);
    // Installed before the server exists, so no signal is lost after "listening on".
    net::signal_set signals(ctx, SIGUSR1, SIGUSR2, SIGINT);
    signals.add(SIGTERM);
    std::optional<asio::server> s;
    try {
        s.emplace(asio::server::create(ctx, listen, options, handler, echo_hooks()));
    } catch (const creation_error& e) {
        print_error(e.what());
        return exit_usage;
    } catch (const listen_error& e) {
        print_error(e.what());
        return exit_bind_failed;
    }
    print_line_to_stdout("listening on " + address_text(*s) + "\n");

    bool closing = false;
    watch_signals(signals, *s, close, closing);
    try {
        ctx.run();
    } catch (const std::exception& e) {
        // A raised error (the `raise` policy, a fatal accept error, an error hook
        // failing) ends the process.
        print_error(e.what());
        return exit_handler_error;
    }
    return exit_ok;
}

}  // namespace berth::echo
