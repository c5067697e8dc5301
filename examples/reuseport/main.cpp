// berth-reuseport: one Asio server per thread, each on its own io_context with its
// own listening socket, all bound to one port with SO_REUSEPORT; the kernel spreads
// incoming connections over the listeners. README.md documents the limits of that
// shape; tests/reuseport drives this binary.
//
// Each server is created, run, closed and destroyed on its own thread (berth's
// Asio server is not thread-safe: every call on its io_context's thread). The main
// thread starts the workers one by one (the first one binds, and with port 0 the
// others take the port it got), then waits for SIGINT or SIGTERM, blocked in every
// thread and taken with sigwait, and posts each server's close to its own
// io_context. Nothing is shared between the threads but what a promise, a post or
// a join hands over.
#include <algorithm>
#include <csignal>
#include <cstdint>
#include <exception>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "berth/asio/server.hpp"
#include "berth/errors.hpp"
#include "berth/posix/parse_listen_spec.hpp"
#include "echo_options.hpp"
#include "echo_report.hpp"
#include "echo_serve.hpp"
#include "example_main.hpp"
#include "thread_echo.hpp"

namespace {

using namespace berth;

constexpr const char* program = "berth-reuseport";
constexpr unsigned threads_max = 256;

struct reuseport_options {
    unsigned threads = 4;
    echo::echo_options serve;
};

// --threads is this program's; every other flag is berth-echo's (echo_options.hpp).
reuseport_options parse_options(const std::vector<std::string>& args) {
    reuseport_options out;
    std::vector<std::string> rest;
    // Bounded by the arguments: every turn consumes one or two.
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string value;
        if (args[i] == "--threads") {
            if (i + 1 >= args.size()) throw std::invalid_argument("--threads: missing value");
            value = args[++i];
        } else if (args[i].rfind("--threads=", 0) == 0) {
            value = args[i].substr(10);
        } else {
            rest.push_back(args[i]);
            continue;
        }
        out.threads =
            static_cast<unsigned>(echo::parse_integer("--threads", value, 1, threads_max));
    }
    out.serve = echo::parse_echo_options(rest);
    if (out.serve.backend != echo::echo_backend::asio) {
        throw std::invalid_argument("--backend: " + std::string(program) +
                                    " runs one io_context per thread: asio only");
    }
    if (out.serve.listen.kind() != posix::listen_kind::inet) {
        throw std::invalid_argument("--listen: SO_REUSEPORT needs HOST:PORT, not " +
                                    out.serve.listen.to_string());
    }
    return out;
}

// Left unset, max_connections is per server 90% of the descriptor limit, which N
// servers in one process would exceed N times over: each gets its share instead.
std::uint32_t share_of_descriptors(unsigned threads) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) {
        return core::max_connections_limit / threads;
    }
    const rlim_t usable = limit.rlim_cur / 10 * 9;
    return static_cast<std::uint32_t>(
        std::clamp<rlim_t>(usable / threads, 1, core::max_connections_limit));
}

// One thread: its io_context, its server, and what it leaves for the main thread
// once joined.
struct worker {
    explicit worker(unsigned i) : index(i) {}
    const unsigned index;
    boost::asio::io_context ctx{1};
    std::optional<asio::server> server;  // touched on this worker's thread only
    std::thread thread;
    // Written by the worker before it ends, read by the main thread after the join.
    std::string final_statistics;
    std::optional<std::string> error;
};

void run_worker(worker& w, const posix::listen_spec& spec, const core::options& opts,
                std::promise<std::string> bound) {
    try {
        w.server.emplace(asio::server::create(
            w.ctx, spec, opts, reuseport::thread_echo_handler(w.index), echo::echo_hooks()));
    } catch (...) {
        bound.set_exception(std::current_exception());
        return;
    }
    bound.set_value(w.server->listening_on_address().to_string());
    try {
        w.ctx.run();
    } catch (const std::exception& e) {
        // A fatal accept error or the error hook failing: the process ends, so the
        // main thread is woken as by a signal, and closes the other servers.
        w.error = e.what();
        static_cast<void>(::kill(::getpid(), SIGTERM));
    }
    w.final_statistics =
        echo::statistics_line(w.server->stats(), w.server->num_connections(),
                              w.server->is_dropping_incoming_connections(), w.server->is_closed());
    w.server.reset();
}

// Posts the close to the worker's own thread; the worker's run() returns once its
// server has closed and its handlers have finished.
void close_on_its_thread(worker& w, bool close_existing) {
    boost::asio::post(w.ctx, [&w, close_existing] {
        if (w.server) w.server->close(close_existing, [] {});
    });
}

int serve(const reuseport_options& opts) {
    core::options server_opts = opts.serve.server;
    if (server_opts.max_connections == core::max_connections_unset) {
        server_opts.max_connections = share_of_descriptors(opts.threads);
    }
    std::vector<std::unique_ptr<worker>> workers;
    posix::listen_spec spec = opts.serve.listen;
    spec.reuse_port(true);
    int exit_code = echo::exit_ok;
    std::string address;
    for (unsigned i = 0; i < opts.threads; ++i) {
        worker& w = *workers.emplace_back(std::make_unique<worker>(i));
        std::promise<std::string> bound;
        std::future<std::string> bound_at = bound.get_future();
        w.thread = std::thread(run_worker, std::ref(w), spec, server_opts, std::move(bound));
        try {
            address = bound_at.get();
        } catch (const creation_error& e) {
            echo::print_error("thread " + std::to_string(i) + ": " + e.what());
            exit_code = echo::exit_usage;
        } catch (const listen_error& e) {
            echo::print_error("thread " + std::to_string(i) + ": " + e.what());
            exit_code = echo::exit_bind_failed;
        }
        if (exit_code != echo::exit_ok) break;
        // The port the first listener got (the same, unless the flag said 0).
        if (i == 0) spec = posix::parse_listen_spec(address).reuse_port(true);
    }
    if (exit_code == echo::exit_ok) {
        echo::print_line_to_stdout("listening on " + address + "\n");
        sigset_t stop_signals;
        sigemptyset(&stop_signals);
        sigaddset(&stop_signals, SIGINT);
        sigaddset(&stop_signals, SIGTERM);
        int signal_number = 0;
        static_cast<void>(sigwait(&stop_signals, &signal_number));
    }
    for (const std::unique_ptr<worker>& w : workers)
        close_on_its_thread(*w, opts.serve.close_existing_connections);
    for (const std::unique_ptr<worker>& w : workers) {
        w->thread.join();
        if (const std::optional<std::string>& error = w->error) {
            echo::print_error("thread " + std::to_string(w->index) + ": " + error.value());
            exit_code = echo::exit_handler_error;
        }
        if (!w->final_statistics.empty()) {
            echo::print_line_to_stdout("thread " + std::to_string(w->index) + " " +
                                       w->final_statistics);
        }
    }
    return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
    reuseport_options opts;
    const std::string usage = std::string(" [--threads N]") + echo::usage_flags;
    constexpr std::string_view threads_help =
        "--threads: servers, one per thread, on one port (default 4); each\n"
        "    server's --max-connections is its own (default: its share of 90% of\n"
        "    the descriptor limit).\n";
    if (const std::optional<int> code =
            echo::start_example(program, usage, threads_help, argc, argv, [&](const auto& args) {
                opts = parse_options(args);
                return opts.serve.help;
            })) {
        return *code;
    }
    // Blocked before any thread starts, so every thread inherits the mask and the
    // signals wait for the main thread's sigwait.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr) != 0) {
        echo::print_error("cannot block SIGINT and SIGTERM");
        return echo::exit_handler_error;
    }
    return serve(opts);
}
