// A user's own handler tested in the simulated world, in the create_sock form (a
// berth::stream, with a berth::reader over it), the way docs/simulator.md's
// "Testing your own handler" shows it: deterministic, in virtual time, with
// faults. The README's example, the create form on all three backends, is
// tests/portable/readme_handler_portable_test.cpp.
#include <chrono>
#include <optional>
#include <string>

#include <doctest/doctest.h>

#include "berth/handler.hpp"
#include "berth/sim/kernel.hpp"
#include "berth/sim/server.hpp"
#include "berth/sim/world.hpp"

namespace {

using namespace berth;

// The handler under test: replies to each line with the line in upper case; a
// line "nap MS" sleeps first, in the server's time (virtual in the simulator).
task<> shout_sock(address /*peer*/, stream& s) {
    reader r(s);
    while (std::optional<std::string> line = co_await r.read_line()) {
        if (line->rfind("nap ", 0) == 0) {
            co_await sleep_for(std::chrono::milliseconds(std::stoi(line->substr(4))));
        }
        for (char& c : *line)
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        line->push_back('\n');
        if (co_await s.write(*line)) co_return;  // the client left: a normal end
    }
}

// A client: sends one line, keeps the answer.
sim::task<> ask(sim::world& w, address server, std::string line, std::string& answer,
                core::time_ns timeout_ns = 100 * core::ns_per_ms) {
    sim::connect_result c = co_await w.connect(server);
    if (!c.sock) co_return;  // refused, timed out
    c.sock->send(line + "\n");
    sim::line_result r = co_await c.sock->read_line_for(timeout_ns);
    if (r.line) answer = *r.line;
    c.sock->close();
}

core::options raising(std::uint32_t max_connections) {
    core::options opts;
    opts.max_connections = max_connections;
    opts.on_handler_error = core::error_policy::raise;  // a handler error leaves w.run()
    return opts;
}

}  // namespace

TEST_CASE("a user's create_sock handler answers a client in the simulated world") {
    sim::world w(/*seed=*/7);
    sim::server s = sim::server::create_sock(w, "127.0.0.1:0", raising(10), shout_sock);

    std::string answer;
    w.spawn(ask(w, s.listening_on_address(), "hello", answer));
    w.run_until([&] { return w.tasks_running() == 0; }, 1 * core::ns_per_s);
    CHECK(answer == "HELLO");

    s.close();
    w.run();
    CHECK(s.all_handlers_finished());
    CHECK(s.stats().handler_ok == 1);
    CHECK(w.net().fds_in_use() == 0);
}

TEST_CASE("a handler's sleep_for runs in virtual time: a minute's nap takes no real time") {
    sim::world w(/*seed=*/7);
    sim::server s = sim::server::create_sock(w, "127.0.0.1:0", raising(10), shout_sock);

    std::string answer;
    w.spawn(ask(w, s.listening_on_address(), "nap 60000", answer, 61 * core::ns_per_s));
    const auto started = std::chrono::steady_clock::now();
    w.run_until([&] { return w.tasks_running() == 0; }, 120 * core::ns_per_s);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
    CHECK(answer == "NAP 60000");
    CHECK(w.now_ns() >= 60 * core::ns_per_s);
    CHECK(w.now_ns() < 61 * core::ns_per_s);

    s.close();
    w.run();
    CHECK(s.all_handlers_finished());
}

TEST_CASE("a user's handler keeps its promises under injected accept faults") {
    sim::world_config config;
    config.faults.enabled = true;
    config.faults.accept_per_connection_per_million = 300'000;  // 30% of accepts abort
    config.faults.accept_nothing_there_per_million = 200'000;
    sim::world w(/*seed=*/11, config);
    sim::server s = sim::server::create_sock(w, "127.0.0.1:0", raising(3), shout_sock);

    std::string answers[8];
    for (std::string& a : answers)
        w.spawn(ask(w, s.listening_on_address(), "hello", a));
    w.run_until([&] { return w.tasks_running() == 0; }, 10 * core::ns_per_s);
    int served = 0;
    for (const std::string& a : answers) {
        CHECK((a.empty() || a == "HELLO"));  // aborted connections get nothing, never junk
        served += a == "HELLO" ? 1 : 0;
    }
    CHECK(served > 0);
    CHECK(w.net()
              .stats()
              .injected[static_cast<std::size_t>(core::accept_error_class::per_connection)] > 0);
    s.close();
    w.run();
    CHECK(s.all_handlers_finished());
    CHECK(s.invariant());
    CHECK(w.net().fds_in_use() == 0);
}
