// berth-tls-echo: a line echo server over TLS. berth's Asio backend in its native
// form (berth/asio/server.hpp) hands each connection's handler the connected Asio
// socket; the handler wraps it in boost::asio::ssl::stream, does the handshake with
// a timeout, echoes every line back, and ends with a TLS shutdown (close_notify both
// ways) when the client ends the session. berth keeps its limits, close and error
// policy: the socket is the engine's, and it is closed when the handler returns.
//
// A failed handshake (a plain-TCP client, a bad ClientHello, a client too slow to
// finish) ends only that connection: it is counted and logged on stderr, and the
// server goes on serving. SIGINT or SIGTERM closes the server and its connections;
// the process then prints a summary line and exits 0. Bad flags exit 2 with a
// message naming what is wrong; a listen error exits 1.
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>

#include "berth/asio/server.hpp"
#include "berth/errors.hpp"
#include "tls_echo_options.hpp"

namespace {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using namespace net::experimental::awaitable_operators;
using berth::tls_echo::tls_echo_options;

constexpr const char* program = "berth-tls-echo";
constexpr int exit_ok = 0;
constexpr int exit_listen_failed = 1;
constexpr int exit_usage = 2;
constexpr int exit_failed = 70;  // EX_SOFTWARE
// A line longer than this ends the connection: a client cannot make the server's
// buffer grow without bound.
constexpr std::size_t line_bytes_max = 64 * 1024;

constexpr auto no_throw = net::as_tuple(net::use_awaitable);

struct counters {
    std::uint64_t sessions = 0;  // completed handshakes
    std::uint64_t handshake_failures = 0;
    std::uint64_t lines = 0;
};

void log_line(const std::string& text) {
    std::cerr << program << ": " << text << std::endl;
}

// The file must be a regular file this process can open: the message names it.
void check_readable(const char* flag, const std::string& path) {
    std::error_code error;
    const std::filesystem::file_status status = std::filesystem::status(path, error);
    if (error) {
        throw std::invalid_argument(std::string(flag) + ": cannot read '" + path +
                                    "': " + error.message());
    }
    if (!std::filesystem::is_regular_file(status)) {
        throw std::invalid_argument(std::string(flag) + ": cannot read '" + path +
                                    "': not a regular file");
    }
    std::ifstream file(path);
    if (!file) {
        throw std::invalid_argument(std::string(flag) + ": cannot read '" + path +
                                    "': " + std::strerror(errno));
    }
}

// The server's TLS context: TLS 1.2 or later, the certificate chain and its key.
// OpenSSL checks that the key belongs to the certificate.
void load_credentials(ssl::context& tls, const tls_echo_options& opts) {
    check_readable("--cert", opts.cert_file);
    check_readable("--key", opts.key_file);
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                    ssl::context::single_dh_use);
    try {
        tls.use_certificate_chain_file(opts.cert_file);
    } catch (const boost::system::system_error& e) {
        throw std::invalid_argument("--cert: cannot load a certificate from '" + opts.cert_file +
                                    "': " + e.code().message());
    }
    try {
        tls.use_private_key_file(opts.key_file, ssl::context::pem);
    } catch (const boost::system::system_error& e) {
        throw std::invalid_argument("--key: cannot load the private key from '" + opts.key_file +
                                    "' for '" + opts.cert_file + "': " + e.code().message());
    }
}

// Runs `op` (an awaitable yielding a tuple<error_code>) against a timer. The loser
// is cancelled and awaited before this returns, so nothing outlives the handler.
template <typename Operation>
net::awaitable<boost::system::error_code> within(std::chrono::milliseconds limit, Operation op) {
    net::steady_timer timer(co_await net::this_coro::executor, limit);
    std::variant<std::tuple<boost::system::error_code>, std::tuple<boost::system::error_code>>
        first = co_await (std::move(op) || timer.async_wait(no_throw));
    if (first.index() == 1) co_return net::error::timed_out;
    co_return std::get<0>(std::get<0>(first));
}

class tls_echo_handler {
public:
    tls_echo_handler(ssl::context& tls, counters& count, std::chrono::milliseconds timeout)
        : tls_(&tls), count_(&count), timeout_(timeout) {}

    net::awaitable<void> operator()(berth::address peer, berth::asio::socket& sock) const {
        ssl::stream<berth::asio::socket&> stream(sock, *tls_);
        const boost::system::error_code handshake =
            co_await within(timeout_, stream.async_handshake(ssl::stream_base::server, no_throw));
        if (handshake) {
            ++count_->handshake_failures;
            log_line("TLS handshake with " + peer.to_string() + " failed: " + handshake.message() +
                     " (handshake failures: " + std::to_string(count_->handshake_failures) + ")");
            co_return;  // the engine closes the socket
        }
        ++count_->sessions;
        std::string buffer;
        boost::system::error_code end;
        for (;;) {
            const auto [read_error, n] = co_await net::async_read_until(
                stream, net::dynamic_buffer(buffer, line_bytes_max), '\n', no_throw);
            if (read_error) {
                end = read_error;
                break;
            }
            const auto [write_error, written] =
                co_await net::async_write(stream, net::buffer(buffer.data(), n), no_throw);
            if (write_error) {
                end = write_error;
                break;
            }
            ++count_->lines;
            buffer.erase(0, n);
        }
        // The client's close_notify (eof) or an overlong line: answer with ours. A
        // connection that failed (reset, truncated) has nothing left to shut down.
        if (end == net::error::eof || end == net::error::not_found) {
            const boost::system::error_code shutdown =
                co_await within(timeout_, stream.async_shutdown(no_throw));
            if (shutdown && shutdown != net::error::eof) {
                log_line("TLS shutdown with " + peer.to_string() + ": " + shutdown.message());
            }
        }
    }

private:
    ssl::context* tls_;
    counters* count_;
    std::chrono::milliseconds timeout_;
};

// Signals are watched until the server has finished; then nothing is left to run.
void watch_signals(net::signal_set& signals, berth::asio::server& s) {
    signals.async_wait([&signals, &s](const boost::system::error_code& ec, int) {
        if (ec) return;  // cancelled
        s.close(true, [] {});
        s.handlers_finished([&signals] { signals.cancel(); });
    });
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    tls_echo_options opts;
    ssl::context tls(ssl::context::tls_server);
    try {
        opts = berth::tls_echo::parse_tls_echo_options(args);
        if (opts.help) {
            std::cout << "usage: " << program << berth::tls_echo::usage_flags;
            return exit_ok;
        }
        load_credentials(tls, opts);
    } catch (const std::invalid_argument& e) {
        std::cerr << program << ": " << e.what() << "\nusage: " << program
                  << berth::tls_echo::usage_flags;
        return exit_usage;
    }
    // A client that leaves while we write must not kill the process.
    static_cast<void>(std::signal(SIGPIPE, SIG_IGN));

    net::io_context ctx(1);
    // Installed before the server exists, so no signal is lost after "listening on".
    net::signal_set signals(ctx, SIGINT, SIGTERM);
    counters count;
    berth::core::options server_options;
    server_options.on_handler_error = berth::core::error_policy::call;
    berth::server_hooks hooks;
    hooks.on_handler_error = [](const berth::address& peer, const std::exception_ptr& error) {
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            log_line("connection from " + peer.to_string() + " failed: " + e.what());
        } catch (...) {
            log_line("connection from " + peer.to_string() + " failed");
        }
    };
    std::optional<berth::asio::server> s;
    try {
        s.emplace(berth::asio::server::create_sock(
            ctx, opts.listen, server_options,
            berth::asio::native_handler(tls_echo_handler(tls, count, opts.handshake_timeout)),
            std::move(hooks)));
    } catch (const berth::creation_error& e) {
        log_line(e.what());
        return exit_usage;
    } catch (const berth::listen_error& e) {
        log_line(e.what());
        return exit_listen_failed;
    }
    const berth::listen_endpoint& where = s->listening_on();
    std::cout << "listening on "
              << (where.is_unix ? "unix:" + where.path : s->listening_on_address().to_string())
              << std::endl;
    watch_signals(signals, *s);
    try {
        ctx.run();
    } catch (const std::exception& e) {
        log_line(e.what());
        return exit_failed;
    }
    std::cout << "sessions " << count.sessions << ", lines " << count.lines
              << ", handshake failures " << count.handshake_failures << std::endl;
    return exit_ok;
}
