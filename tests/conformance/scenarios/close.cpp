// SEMANTICS.md section 8: closing.
#include <doctest/doctest.h>

#include "harness.hpp"

namespace berth::conformance {

namespace {

server_config config(std::uint32_t max_connections) {
    server_config cfg;
    cfg.opts.max_connections = max_connections;
    cfg.opts.on_handler_error = core::error_policy::ignore;
    return cfg;
}

}  // namespace

TEST_CASE("close without closing existing connections lets them run to their end") {
    auto h = make_harness();
    h->start_server(config(4));
    const client_id live = h->connect();
    h->send(live, "a\n");
    CHECK(h->receive_line(live, 50 * ms) == "a");

    h->close(false);
    CHECK(h->is_closed());
    CHECK(h->wait_until([&] { return h->close_finished(); }, 50 * ms));
    CHECK_FALSE(h->handlers_finished());

    const client_id late = h->connect();  // nobody listens any more
    CHECK(h->wait_peer_closed(late, 50 * ms));

    h->send(live, "b\n");
    CHECK(h->receive_line(live, 50 * ms) == "b");
    h->send(live, "quit\n");
    CHECK(h->receive_line(live, 50 * ms) == "bye");
    CHECK(h->wait_until([&] { return h->handlers_finished(); }, 50 * ms));
    CHECK(h->num_connections() == 0);
    CHECK(h->invariant());
}

TEST_CASE("close with close_existing_connections closes every live connection") {
    auto h = make_harness();
    h->start_server(config(4));
    const client_id a = h->connect();
    const client_id b = h->connect();
    h->send(a, "a\n");
    h->send(b, "b\n");
    CHECK(h->receive_line(a, 50 * ms) == "a");
    CHECK(h->receive_line(b, 50 * ms) == "b");

    h->close(true);
    CHECK(h->wait_peer_closed(a, 50 * ms));
    CHECK(h->wait_peer_closed(b, 50 * ms));
    CHECK(h->wait_until([&] { return h->close_finished() && h->handlers_finished(); }, 50 * ms));
    CHECK(h->num_connections() == 0);
    CHECK(h->stats().handler_errors == 0);  // a handler that finds its socket closed ends well
    CHECK(h->invariant());
}

TEST_CASE("close is idempotent and a later close_existing_connections closes those present") {
    auto h = make_harness();
    h->start_server(config(4));
    const client_id a = h->connect();
    h->send(a, "a\n");
    CHECK(h->receive_line(a, 50 * ms) == "a");
    h->close(false);
    h->close(false);
    CHECK(h->wait_until([&] { return h->close_finished(); }, 50 * ms));
    CHECK_FALSE(h->wait_peer_closed(a, 10 * ms));
    h->close(true);
    CHECK(h->wait_peer_closed(a, 50 * ms));
    CHECK(h->wait_until([&] { return h->handlers_finished(); }, 50 * ms));
    CHECK(h->invariant());
}

TEST_CASE("no handler is started after close has returned") {
    auto h = make_harness();
    h->start_server(config(1));
    const client_id holder = h->connect();
    h->send(holder, "x\n");
    CHECK(h->receive_line(holder, 50 * ms) == "x");
    const client_id queued = h->connect();  // waits in the listen queue: the server is full
    h->send(queued, "y\n");
    h->advance(10 * ms);
    h->close(false);
    h->send(holder, "quit\n");
    CHECK(h->receive_line(holder, 50 * ms) == "bye");
    CHECK(h->wait_peer_closed(queued, 50 * ms));
    CHECK(h->wait_until([&] { return h->handlers_finished(); }, 50 * ms));
    CHECK(h->stats().handlers_started == 1);
    CHECK(h->invariant());
}

}  // namespace berth::conformance
