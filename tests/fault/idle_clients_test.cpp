// Clients that connect and send nothing. Each holds a slot for as long as its
// handler waits: with max_connections small, idle clients lock everyone else out.
// berth does not time out a handler's reads by itself (the handler decides what
// idle means); the mitigation is a read with a timeout (read_line_for and the
// other *_for reads), after which the handler ends and the slot comes back. Both
// sides are shown: without the timeout the slots stay held, with it the next
// client is served once it passes.
#include "fault_support.hpp"

namespace berth::fault {
namespace {

constexpr std::uint32_t slots = 4;
constexpr auto idle_timeout = 300ms;

// Echoes lines until the client is idle for idle_timeout, then ends.
task<> echo_until_idle(address, reader& r, writer& w) {
    // Bounded by the client: every turn reads a line, or times out and ends.
    for (;;) {
        const timed_line l = co_await r.read_line_for(idle_timeout);
        if (l.timed_out || !l.line) co_return;
        w.write(*l.line + "\n");
    }
}

struct idle_run {
    bool late_served = false;
    std::chrono::milliseconds late_served_after{0};
    std::uint32_t connections_while_waiting = 0;
};

/// `slots` idle clients take every slot; then a client with a request arrives.
idle_run lock_out(harness& h, core::options o, reader_writer_handler handler,
                  std::chrono::milliseconds watch) {
    auto s = h.create(test::loopback(), o, std::move(handler));
    const closes_at_exit guard(s);
    const address at = s.listening_on_address();
    std::vector<std::unique_ptr<peer>> idle;
    for (std::uint32_t i = 0; i < slots; ++i)
        idle.push_back(std::make_unique<peer>(at));
    REQUIRE(h.run_until([&] { return s.num_connections() == slots; }, 2s));

    idle_run out;
    peer late(at);
    const auto t0 = steady::now();
    const std::optional<std::string> line = round_trip(h, late, "let me in", watch);
    out.late_served = line.has_value();
    out.late_served_after =
        std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0);
    out.connections_while_waiting = s.num_connections();
    if (out.late_served) CHECK(line == "let me in");
    CHECK(h.close_all(s));
    CHECK(s.invariant());
    return out;
}

TEST_CASE(
    "idle clients that send nothing hold every slot and lock a new client out when the "
    "handler reads without a timeout") {
    const std::size_t before = harness::open_descriptors();
    {
        harness h;
        const idle_run r = lock_out(h, fault_options(slots), line_protocol_handler(), 1500ms);
        CHECK_FALSE(r.late_served);
        CHECK(r.connections_while_waiting == slots);
        CHECK(h.wound_down());
    }
    CHECK(harness::open_descriptors() == before);
}

TEST_CASE(
    "idle clients give their slots back once read_line_for times out, and the locked-out "
    "client is served") {
    const std::size_t before = harness::open_descriptors();
    {
        harness h;
        const idle_run r = lock_out(h, fault_options(slots), echo_until_idle, 5s);
        MESSAGE(backend_name, ": with a ", idle_timeout.count(),
                " ms read timeout the locked-out client was served after ",
                r.late_served_after.count(), " ms");
        CHECK(r.late_served);
        // Not before the idle clients' timeout (less the time their handlers already
        // waited while the late client connected), and well within a bound.
        CHECK(r.late_served_after >= idle_timeout / 2);
        CHECK(r.late_served_after < 3s);
        CHECK(h.wound_down());
    }
    CHECK(harness::open_descriptors() == before);
}

}  // namespace
}  // namespace berth::fault
