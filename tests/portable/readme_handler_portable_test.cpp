// The README's handler, berth::examples::shout (examples/shout), is portable: the
// very same function is given to sim::server::create, asio::server::create and
// uv::server::create, and each checks the replies. In the simulator, with faults
// on, over many seeds, with clients that reset or leave early (the README's
// example, "Testing your own server in the simulator"); on Asio and on libuv with
// real clients over loopback, counting the process's descriptors before and after.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "shout.hpp"

#ifdef BERTH_PORTABLE_HAVE_SIM
#include "berth/sim/kernel.hpp"
#include "berth/sim/server.hpp"
#include "berth/sim/world.hpp"
#endif

#if defined(BERTH_PORTABLE_HAVE_ASIO) || defined(BERTH_PORTABLE_HAVE_UV)
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <exception>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "berth/posix/parse_listen_spec.hpp"
#endif

#ifdef BERTH_PORTABLE_HAVE_ASIO
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "berth/asio/server.hpp"
#endif

#ifdef BERTH_PORTABLE_HAVE_UV
#include <uv.h>

#include "berth/uv/run.hpp"
#include "berth/uv/server.hpp"
#endif

using namespace berth;

#ifdef BERTH_PORTABLE_HAVE_SIM

// ---------------------------------------------------------------------------------
// In the simulator, with faults: the README's example.

// A well-behaved client: sends two lines, keeps the answers, leaves.
sim::task<> ask(sim::world& w, address server, std::vector<std::string>& answers) {
    sim::connect_result c = co_await w.connect(server);
    if (!c.sock) co_return;  // refused or timed out
    c.sock->send("hello\nWorld 42\n");
    for (int i = 0; i < 2; ++i) {
        sim::line_result r = co_await c.sock->read_line_for(10 * core::ns_per_s);
        if (!r.line) break;  // the kernel aborted the connection before the accept
        answers.push_back(*r.line);
    }
    c.sock->close();
}

// Clients that misbehave: one resets in the middle of a line, one leaves without
// reading its answer.
sim::task<> reset_midway(sim::world& w, address server) {
    sim::connect_result c = co_await w.connect(server);
    if (!c.sock) co_return;
    c.sock->send("half a li");
    co_await w.sleep_for(1 * core::ns_per_ms);
    c.sock->reset();
}

sim::task<> leave_early(sim::world& w, address server) {
    sim::connect_result c = co_await w.connect(server);
    if (!c.sock) co_return;
    c.sock->send("nobody reads this\n");
    c.sock->close();
}

TEST_CASE("shout answers every well-behaved client in the simulator, under faults, per seed") {
    std::uint64_t faults = 0;
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        CAPTURE(seed);  // a failure names its seed, and the seed replays it exactly
        sim::world_config config;
        config.faults.enabled = true;
        config.faults.accept_per_connection_per_million = 100'000;  // 10% of accepts abort
        config.faults.accept_nothing_there_per_million = 200'000;
        config.faults.accept_out_of_resources_per_million = 50'000;
        config.faults.spurious_wakeup_per_million = 100'000;
        config.kernel.latency_max_ns = 2 * core::ns_per_ms;  // interleavings vary by seed
        sim::world w(seed, config);

        core::options opts;
        opts.max_connections = 4;
        opts.on_handler_error = core::error_policy::raise;  // a handler error leaves w.run()
        sim::server s = sim::server::create(w, "127.0.0.1:0", opts, examples::shout);

        std::vector<std::vector<std::string>> answers(8);
        for (std::vector<std::string>& a : answers) {
            w.spawn(ask(w, s.listening_on_address(), a));
            w.spawn(reset_midway(w, s.listening_on_address()));
            w.spawn(leave_early(w, s.listening_on_address()));
        }
        // The world checks the server's invariants after every step.
        w.run_until([&] { return w.tasks_running() == 0; }, 60 * core::ns_per_s);
        CHECK(w.tasks_running() == 0);
        s.close();
        w.run();

        int served = 0;
        for (const std::vector<std::string>& a : answers) {
            // An aborted connection gets nothing; an accepted one, the right answers.
            CHECK((a.empty() || a == std::vector<std::string>{"HELLO", "WORLD 42"}));
            served += a.empty() ? 0 : 1;
        }
        CHECK(served > 0);
        CHECK(s.all_handlers_finished());
        CHECK(s.stats().handler_errors == 0);  // a client leaving is a normal end
        CHECK(s.invariant());
        CHECK(w.net().fds_in_use() == 0);  // every descriptor is closed
        for (const std::uint64_t injected : w.net().stats().injected)
            faults += injected;
    }
    CHECK(faults > 0);
}

#endif  // BERTH_PORTABLE_HAVE_SIM

#if defined(BERTH_PORTABLE_HAVE_ASIO) || defined(BERTH_PORTABLE_HAVE_UV)

// ---------------------------------------------------------------------------------
// On the real backends: a client thread over loopback, the server's loop on the
// test's thread.

namespace {

constexpr int wait_ms = 3000;  // a bound on every client wait, not a timing assumption
constexpr auto watchdog_timeout = std::chrono::seconds(30);
constexpr int pipelined_lines = 1000;
constexpr std::uint64_t connections_made = 5;

// Descriptors this process holds (the directory's own descriptor counts both times).
std::size_t open_descriptors() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/fd")) {
        ++n;
    }
    return n;
}

// A blocking loopback client whose every wait is bounded. It records what went
// wrong instead of asserting: it runs on its own thread.
class loopback_client {
public:
    loopback_client(std::uint16_t port, std::vector<std::string>& errors) : errors_(&errors) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd_ < 0 || ::connect(fd_, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0) {
            fail("connect failed: errno " + std::to_string(errno));
        }
    }
    loopback_client(const loopback_client&) = delete;
    loopback_client& operator=(const loopback_client&) = delete;
    ~loopback_client() { close(); }

    void send(const std::string& data) {
        if (fd_ < 0) return;
        if (::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(data.size())) {
            fail("send failed: errno " + std::to_string(errno));
        }
    }

    // The next line without its newline; nothing at the end of the stream or after
    // wait_ms.
    std::optional<std::string> line() {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
        // Bounded by the deadline: every turn reads or ends.
        for (;;) {
            if (const std::size_t end = in_.find('\n'); end != std::string::npos) {
                std::string out = in_.substr(0, end);
                in_.erase(0, end + 1);
                return out;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            pollfd p{fd_, POLLIN, 0};
            if (fd_ < 0 || left.count() <= 0 ||
                ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
                return std::nullopt;
            }
            char buffer[4096];
            const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
            if (n <= 0) return std::nullopt;
            in_.append(buffer, static_cast<std::size_t>(n));
        }
    }

    void expect(const std::string& want) {
        const std::optional<std::string> got = line();
        if (got != want) fail("expected '" + want + "', got '" + got.value_or("(nothing)") + "'");
    }

    // Closes abortively (SO_LINGER 0): the server sees a reset.
    void reset() {
        const linger l{1, 0};
        if (fd_ >= 0) ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
        close();
    }

    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    void fail(const std::string& what) { errors_->push_back(what); }

    int fd_ = -1;
    std::string in_;
    std::vector<std::string>* errors_;
};

// What every real backend is asked, on `connections_made` connections; returns what
// went wrong (nothing when every reply was right).
std::vector<std::string> talk_to(std::uint16_t port) {
    std::vector<std::string> errors;
    loopback_client a(port, errors);
    a.send("hello\nWorld 42\n");
    a.expect("HELLO");
    a.expect("WORLD 42");

    loopback_client split(port, errors);  // a line in two pieces is one line
    split.send("spl");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    split.send("it line\r\n");
    split.expect("SPLIT LINE");

    {
        loopback_client resets(port, errors);  // resets in the middle of a line
        resets.send("half a li");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        resets.reset();
    }
    {
        loopback_client leaves(port, errors);  // leaves without reading its answer
        leaves.send("nobody reads this\n");
    }

    loopback_client pipelined(port, errors);  // many lines at once, answered in order
    std::string lines;
    for (int i = 0; i < pipelined_lines; ++i)
        lines += "line " + std::to_string(i) + "\n";
    pipelined.send(lines);
    for (int i = 0; i < pipelined_lines; ++i)
        pipelined.expect("LINE " + std::to_string(i));

    a.send("still here after the others\n");  // the first client is still served
    a.expect("STILL HERE AFTER THE OTHERS");
    return errors;
}

core::options raising() {
    core::options opts;
    opts.max_connections = 16;
    opts.on_handler_error = core::error_policy::raise;  // a handler error leaves the run
    return opts;
}

void check_replies(const std::vector<std::string>& errors) {
    for (const std::string& e : errors)
        FAIL_CHECK(e);
    CHECK(errors.empty());
}

void check_server_after(const basic_server& s) {
    CHECK(s.is_closed());
    CHECK(s.num_connections() == 0);
    CHECK(s.stats().accepted == connections_made);
    CHECK(s.stats().handler_ok == connections_made);  // a client leaving is a normal end
    CHECK(s.stats().handler_errors == 0);
    CHECK(s.invariant());
}

}  // namespace

#endif

#ifdef BERTH_PORTABLE_HAVE_ASIO

TEST_CASE("shout answers loopback clients on Asio, and leaves no descriptor open") {
    const std::size_t descriptors_before = open_descriptors();
    {
        boost::asio::io_context ctx(1);
        asio::server s = asio::server::create(ctx, posix::parse_listen_spec("127.0.0.1:0"),
                                              raising(), examples::shout);
        const std::uint16_t port = s.listening_on().port;
        bool timed_out = false;
        boost::asio::steady_timer watchdog(ctx, watchdog_timeout);
        watchdog.async_wait([&](const boost::system::error_code& ec) {
            if (ec) return;  // cancelled: the server finished in time
            timed_out = true;
            ctx.stop();
        });

        std::vector<std::string> errors;
        std::thread client([&] {
            errors = talk_to(port);
            boost::asio::post(ctx, [&] {
                s.close(false, [] {});
                s.handlers_finished([&] { watchdog.cancel(); });
            });
        });
        std::vector<std::string> raised;
        // Bounded: each run ends normally, or with one raised error per connection.
        for (std::uint64_t runs = 0; runs <= connections_made; ++runs) {
            try {
                ctx.run();
                break;
            } catch (const std::exception& e) {
                raised.emplace_back(e.what());
            }
        }
        client.join();
        CHECK_FALSE(timed_out);
        CHECK(raised.empty());
        check_replies(errors);
        check_server_after(s);
    }
    CHECK(open_descriptors() == descriptors_before);
}

#endif  // BERTH_PORTABLE_HAVE_ASIO

#ifdef BERTH_PORTABLE_HAVE_UV

namespace {

// What the loop's callbacks share: the server, the clients' "done" wake-up from
// the client thread, and the watchdog.
struct uv_test_loop {
    uv::server* server = nullptr;
    uv_async_t clients_done{};
    uv_timer_t watchdog{};
    bool timed_out = false;

    void close_handles() {
        uv_close(reinterpret_cast<uv_handle_t*>(&clients_done), nullptr);
        uv_close(reinterpret_cast<uv_handle_t*>(&watchdog), nullptr);
    }

    void start(uv_loop_t* loop) {
        static_cast<void>(uv_async_init(loop, &clients_done, [](uv_async_t* h) {
            auto& self = *static_cast<uv_test_loop*>(h->data);
            self.server->close(false);
            self.server->handlers_finished([&self] { self.close_handles(); });
        }));
        clients_done.data = this;
        static_cast<void>(uv_timer_init(loop, &watchdog));
        watchdog.data = this;
        static_cast<void>(uv_timer_start(
            &watchdog,
            [](uv_timer_t* h) {
                static_cast<uv_test_loop*>(h->data)->timed_out = true;
                uv_stop(h->loop);
            },
            static_cast<std::uint64_t>(std::chrono::milliseconds(watchdog_timeout).count()), 0));
    }
};

}  // namespace

TEST_CASE("shout answers loopback clients on libuv, and leaves no descriptor open") {
    // libuv opens a process-wide pipe (its signal lock) at its first uv_loop_init
    // and keeps it: a loop made and closed first takes that out of the count.
    uv_loop_t warm_up{};
    REQUIRE(uv_loop_init(&warm_up) == 0);
    REQUIRE(uv_loop_close(&warm_up) == 0);
    const std::size_t descriptors_before = open_descriptors();
    {
        uv_loop_t loop{};
        REQUIRE(uv_loop_init(&loop) == 0);
        std::optional<uv::server> s;
        s.emplace(uv::server::create(&loop, posix::parse_listen_spec("127.0.0.1:0"), raising(),
                                     examples::shout));
        const std::uint16_t port = s->listening_on().port;
        uv_test_loop state;
        state.server = &*s;
        state.start(&loop);

        std::vector<std::string> errors;
        std::thread client([&] {
            errors = talk_to(port);
            uv_async_send(&state.clients_done);  // the one libuv call safe from any thread
        });
        std::vector<std::string> raised;
        // Bounded: each run ends normally, or with one raised error per connection.
        for (std::uint64_t runs = 0; runs <= connections_made; ++runs) {
            try {
                static_cast<void>(uv::run(&loop, UV_RUN_DEFAULT));
                break;
            } catch (const std::exception& e) {
                raised.emplace_back(e.what());
            }
        }
        client.join();
        CHECK_FALSE(state.timed_out);
        CHECK(raised.empty());
        check_replies(errors);
        check_server_after(*s);
        if (state.timed_out) {  // wind down what the watchdog interrupted
            s->close(true);
            state.close_handles();
            static_cast<void>(uv_run(&loop, UV_RUN_DEFAULT));
        }
        s.reset();
        CHECK(uv_loop_close(&loop) == 0);  // the server closed all its libuv handles
        uv::forget_loop(&loop);
    }
    CHECK(open_descriptors() == descriptors_before);
}

#endif  // BERTH_PORTABLE_HAVE_UV
