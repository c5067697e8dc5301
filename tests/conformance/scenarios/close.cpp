// SEMANTICS.md section 8: closing.
#include <doctest/doctest.h>

#include "harness.hpp"
#include "scenario.hpp"

namespace berth::conformance {

namespace {

server_config config(std::uint32_t max_connections) {
    server_config cfg;
    cfg.opts.max_connections = max_connections;
    cfg.opts.on_handler_error = core::error_policy::ignore;
    return cfg;
}

}  // namespace

TEST_CASE_FIXTURE(scenario,
                  "close without closing existing connections lets them run to their end") {
    start(config(4));
    const client_id live = h->connect();
    h->send(live, "a\n");
    CHECK(h->receive_line(live, patience_ns) == "a");

    h->close(false);
    CHECK(h->is_closed());
    CHECK(h->wait_until([&] { return h->close_finished(); }, patience_ns));
    CHECK_FALSE(h->handlers_finished());

    const client_id late = h->connect();  // nobody listens any more
    CHECK(h->wait_peer_closed(late, patience_ns));

    h->send(live, "b\n");
    CHECK(h->receive_line(live, patience_ns) == "b");
    h->send(live, "quit\n");
    CHECK(h->receive_line(live, patience_ns) == "bye");
    CHECK(h->wait_until([&] { return h->handlers_finished(); }, patience_ns));
    CHECK(h->num_connections() == 0);
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario, "close with close_existing_connections closes every live connection") {
    start(config(4));
    const client_id a = h->connect();
    const client_id b = h->connect();
    h->send(a, "a\n");
    h->send(b, "b\n");
    CHECK(h->receive_line(a, patience_ns) == "a");
    CHECK(h->receive_line(b, patience_ns) == "b");

    h->close(true);
    CHECK(h->wait_peer_closed(a, patience_ns));
    CHECK(h->wait_peer_closed(b, patience_ns));
    CHECK(
        h->wait_until([&] { return h->close_finished() && h->handlers_finished(); }, patience_ns));
    CHECK(h->num_connections() == 0);
    CHECK(h->stats().handler_errors == 0);  // a handler that finds its socket closed ends well
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(
    scenario, "close is idempotent and a later close_existing_connections closes those present") {
    start(config(4));
    const client_id a = h->connect();
    h->send(a, "a\n");
    CHECK(h->receive_line(a, patience_ns) == "a");
    h->close(false);
    h->close(false);
    CHECK(h->wait_until([&] { return h->close_finished(); }, patience_ns));
    CHECK_FALSE(h->wait_peer_closed(a, brief_ns));
    h->close(true);
    CHECK(h->wait_peer_closed(a, patience_ns));
    CHECK(h->wait_until([&] { return h->handlers_finished(); }, patience_ns));
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario, "a drain lets connections finish and closes the rest at its deadline") {
    start(config(4));
    const client_id finishing = h->connect();
    const client_id lingering = h->connect();
    h->send(finishing, "f\n");
    h->send(lingering, "l\n");
    CHECK(h->receive_line(finishing, patience_ns) == "f");
    CHECK(h->receive_line(lingering, patience_ns) == "l");

    h->close_with_drain(500 * ms);
    CHECK(h->is_closed());
    CHECK_FALSE(h->wait_peer_closed(lingering, brief_ns));  // the drain has not expired
    h->send(finishing, "quit\n");
    CHECK(h->receive_line(finishing, patience_ns) == "bye");
    CHECK(h->wait_until([&] { return h->num_connections() == 1; }, patience_ns));
    CHECK_FALSE(h->handlers_finished());

    CHECK(h->wait_peer_closed(lingering, patience_ns));  // closed at the deadline
    CHECK(
        h->wait_until([&] { return h->close_finished() && h->handlers_finished(); }, patience_ns));
    CHECK(h->num_connections() == 0);
    CHECK(h->stats().handler_errors == 0);
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario, "no handler is started after close has returned") {
    start(config(1));
    const client_id holder = h->connect();
    h->send(holder, "x\n");
    CHECK(h->receive_line(holder, patience_ns) == "x");
    const client_id queued = h->connect();  // waits in the listen queue: the server is full
    h->send(queued, "y\n");
    h->advance(10 * ms);
    h->close(false);
    h->send(holder, "quit\n");
    CHECK(h->receive_line(holder, patience_ns) == "bye");
    CHECK(h->wait_peer_closed(queued, patience_ns));
    CHECK(h->wait_until([&] { return h->handlers_finished(); }, patience_ns));
    CHECK(h->stats().handlers_started == 1);
    CHECK(h->invariant());
}

}  // namespace berth::conformance
