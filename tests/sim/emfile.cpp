// The simulated descriptor table has a limit, so EMFILE happens for real, and a
// server that meets it backs off and serves the waiting clients once a descriptor
// frees (SEMANTICS.md section 6).
#include <cerrno>
#include <string>

#include <doctest/doctest.h>

#include "berth/line_protocol.hpp"
#include "berth/sim/kernel.hpp"
#include "berth/sim/server.hpp"
#include "berth/sim/world.hpp"

namespace berth::sim {

namespace {

// Connects, is answered, stays `hold_ns`, leaves. `answer` is the echo, if any.
task<> echo_client(world& w, address server, time_ns hold_ns, std::string& answer) {
    connect_result c = co_await w.connect(server);
    if (!c.sock) co_return;
    c.sock->send("hi\n");
    line_result r = co_await c.sock->read_line_for(30 * core::ns_per_s);
    if (r.line) answer = *r.line;
    co_await w.sleep_for(hold_ns);
    c.sock->close();
}

}  // namespace

TEST_CASE("accept fails with EMFILE when the descriptor table is full, and recovers") {
    world_config config;
    config.kernel.fd_limit = 2;  // the listener and one connection
    world w(1, config);
    const kernel::listen_result l = w.net().listen("127.0.0.1:0", 8);
    REQUIRE(l.error == 0);
    int connected = 0;
    for (int i = 0; i < 2; ++i)
        w.net().connect(l.address, [&connected](int error, std::uint32_t) {
            if (error == 0) ++connected;
        });
    w.run();
    CHECK(connected == 2);
    const kernel::accept_result a = w.net().accept(l.handle);
    REQUIRE(a.error == 0);
    const kernel::accept_result b = w.net().accept(l.handle);
    CHECK(b.error == EMFILE);
    CHECK_FALSE(b.injected);
    w.net().close(a.handle);
    const kernel::accept_result c = w.net().accept(l.handle);
    CHECK(c.error == 0);
    CHECK(w.net().accept(l.handle).error == EMFILE);  // full again, though nothing is queued
}

TEST_CASE("a server out of descriptors backs off, then serves the waiting clients") {
    world_config config;
    config.kernel.fd_limit = 3;  // the listener and two connections
    world w(5, config);
    core::options opts;
    opts.max_connections = 10;  // the kernel's limit comes first
    opts.on_handler_error = core::error_policy::raise;
    server s = server::create(w, "127.0.0.1:0", opts, line_protocol_handler());

    std::string answers[5];
    for (std::string& a : answers)
        w.spawn(echo_client(w, s.listening_on_address(), 200 * core::ns_per_ms, a));
    w.run_until([&] { return w.tasks_running() == 0; }, 30 * core::ns_per_s);
    for (const std::string& a : answers)
        CHECK(a == "hi");
    CHECK(s.stats().accept_errors_of(core::accept_error_class::out_of_resources) > 0);
    CHECK(s.stats().back_off_pauses > 0);
    CHECK(w.net().stats().emfile > 0);

    s.close();
    w.run();
    CHECK(s.stats().handler_ok == 5);  // the last handler ends once it sees its client leave
    CHECK(s.all_handlers_finished());
    CHECK(w.net().fds_in_use() == 0);
}

}  // namespace berth::sim
