// A full listen queue follows Linux: the connect stays pending and the SYN is
// retried with doubling delays; `refuse` makes it fail at once instead.
#include <cerrno>

#include <doctest/doctest.h>

#include "berth/line_protocol.hpp"
#include "berth/sim/kernel.hpp"
#include "berth/sim/server.hpp"
#include "berth/sim/world.hpp"

namespace berth::sim {

namespace {

constexpr time_ns ms = core::ns_per_ms;

// Connects, sends one line, reads its echo, stays `hold_ns`, leaves; `answered_at`
// is when the echo came (-1: never).
task<> held_client(world& w, address server, time_ns hold_ns, time_ns& answered_at) {
    connect_result c = co_await w.connect(server);
    if (!c.sock) co_return;
    c.sock->send("x\n");
    const line_result r = co_await c.sock->read_line_for(60'000 * ms);
    if (r.line == "x") answered_at = w.now_ns();
    co_await w.sleep_for(hold_ns);
    c.sock->close();
}

}  // namespace

TEST_CASE("a connect to a full queue is retried and completes once there is room") {
    world_config config;
    config.kernel.syn_retry_initial_ns = 100 * ms;
    world w(1, config);
    const kernel::listen_result l = w.net().listen("127.0.0.1:0", 0);  // holds backlog + 1
    int results[2] = {-1, -1};
    for (int& r : results)
        w.net().connect(l.address, [&r](int error, std::uint32_t) { r = error; });
    w.run_for(50 * ms);
    CHECK(results[0] == 0);
    CHECK(results[1] == -1);  // still pending
    CHECK(w.net().stats().overflow_retries == 1);
    REQUIRE(w.net().accept(l.handle).error == 0);
    w.run_for(100 * ms);
    CHECK(results[1] == 0);
}

TEST_CASE("a connect that never finds room times out after the retries") {
    world_config config;
    config.kernel.syn_retry_initial_ns = 10 * ms;
    config.kernel.syn_retries_max = 3;
    world w(1, config);
    const kernel::listen_result l = w.net().listen("127.0.0.1:0", 0);
    int results[2] = {-1, -1};
    for (int& r : results)
        w.net().connect(l.address, [&r](int error, std::uint32_t) { r = error; });
    w.run();
    CHECK(results[1] == ETIMEDOUT);
    CHECK(w.now_ns() == (10 + 20 + 40) * ms);
}

TEST_CASE("with refuse, a connect to a full queue fails at once") {
    world_config config;
    config.kernel.on_listen_overflow = listen_overflow::refuse;
    world w(1, config);
    const kernel::listen_result l = w.net().listen("127.0.0.1:0", 0);
    int results[2] = {-1, -1};
    for (int& r : results)
        w.net().connect(l.address, [&r](int error, std::uint32_t) { r = error; });
    w.run();
    CHECK(results[0] == 0);
    CHECK(results[1] == ECONNREFUSED);
}

TEST_CASE("a server at its limit leaves clients queued, and serves them as slots free") {
    world_config config;
    config.kernel.syn_retry_initial_ns = 100 * ms;
    world w(1, config);
    core::options opts;
    opts.max_connections = 1;
    opts.backlog = 0;  // the kernel queues one, the next connect retries its SYN
    opts.on_handler_error = core::error_policy::raise;
    server s = server::create(w, "127.0.0.1:0", opts, line_protocol_handler());

    time_ns answered_at[3] = {-1, -1, -1};
    for (time_ns& at : answered_at)
        w.spawn(held_client(w, s.listening_on_address(), 500 * ms, at));
    w.run_until([&] { return w.tasks_running() == 0; }, 60'000 * ms);
    // One at a time: each is answered once the one before has left.
    CHECK(answered_at[0] >= 0);
    CHECK(answered_at[1] >= answered_at[0] + 500 * ms);
    CHECK(answered_at[2] >= answered_at[1] + 500 * ms);
    CHECK(w.net().stats().overflow_retries > 0);
    CHECK(s.stats().times_at_limit > 0);

    s.close();
    w.run();
    CHECK(s.stats().handler_ok == 3);  // the last handler ends once it sees its client leave
    CHECK(w.net().fds_in_use() == 0);
}

}  // namespace berth::sim
