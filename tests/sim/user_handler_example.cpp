// The example of docs/simulator.md, kept compiling and passing: a user's own
// handler and client, run deterministically, with a fault.
#include <cctype>
#include <string>

#include <doctest/doctest.h>

#include "berth/sim/kernel.hpp"
#include "berth/sim/server.hpp"
#include "berth/sim/world.hpp"

namespace {

using namespace berth;

// The handler under test: replies to each line with the line in upper case.
sim::task<> shout(std::string /*peer*/, sim::socket sock) {
    for (;;) {
        sim::line_result in = co_await sock.read_line();
        if (!in.line) co_return;  // the client left
        std::string reply = *in.line;
        for (char& c : reply)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        if (co_await sock.write_all(reply + "\n") != 0) co_return;
    }
}

// A client: sends one line, checks the answer.
sim::task<> ask(sim::world& w, std::string address, std::string& answer) {
    sim::connect_result c = co_await w.connect(address);
    if (!c.sock) co_return;
    c.sock->send("hello\n");
    sim::line_result r = co_await c.sock->read_line_for(100 * core::ns_per_ms);
    if (r.line) answer = *r.line;
    c.sock->close();
}

}  // namespace

TEST_CASE("a user's handler answers a client in the simulated world") {
    sim::world w(/*seed=*/7);
    core::options opts;
    opts.max_connections = 10;
    opts.on_handler_error = core::error_policy::raise;
    sim::server s = sim::server::create_sock(w, "127.0.0.1:0", opts, shout);

    std::string answer;
    w.spawn(ask(w, s.listening_on(), answer));
    w.run_until([&] { return w.tasks_running() == 0; }, 1 * core::ns_per_s);
    CHECK(answer == "HELLO");

    s.close();
    w.run();
    CHECK(s.all_handlers_finished());
    CHECK(s.stats().handler_ok == 1);
}

TEST_CASE("a user's handler keeps its promises under injected accept faults") {
    sim::world_config config;
    config.faults.enabled = true;
    config.faults.accept_per_connection_per_million = 300'000;  // 30% of accepts abort
    config.faults.accept_nothing_there_per_million = 200'000;
    sim::world w(/*seed=*/11, config);
    core::options opts;
    opts.max_connections = 3;
    opts.on_handler_error = core::error_policy::raise;
    sim::server s = sim::server::create_sock(w, "127.0.0.1:0", opts, shout);

    std::string answers[8];
    for (std::string& a : answers)
        w.spawn(ask(w, s.listening_on(), a));
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
    CHECK(w.net().fds_in_use() == 0);
}
