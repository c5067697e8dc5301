// SEMANTICS.md section 4.3 and 4.4: drop mode.
#include <doctest/doctest.h>

#include "harness.hpp"
#include "scenario.hpp"

namespace berth::conformance {

namespace {

server_config config(std::uint32_t max_connections, bool drop, handler_form form) {
    server_config cfg = server_of(form, max_connections);
    cfg.opts.drop_incoming_connections = drop;
    return cfg;
}

}  // namespace

TEST_CASE_FIXTURE(scenario,
                  "drop mode toggled mid-run drops whole batches and the accept loop re-arms") {
    start(config(4, true, either_form()));
    CHECK(h->is_dropping_incoming_connections());

    const client_id first = h->connect();
    CHECK(h->wait_peer_closed(first, patience_ns));
    CHECK(h->stats().dropped == 1);
    CHECK(h->num_connections() == 0);

    h->set_drop_incoming_connections(false);
    const client_id served = h->connect();
    h->send(served, "hi\n");
    CHECK(h->receive_line(served, patience_ns) == "hi");

    h->set_drop_incoming_connections(true);
    const client_id dropped = h->connect();
    CHECK(h->wait_peer_closed(dropped, patience_ns));
    CHECK(h->stats().dropped == 2);
    CHECK(h->receive_line(served, brief_ns) == std::nullopt);  // the live one is untouched
    h->send(served, "still\n");
    CHECK(h->receive_line(served, patience_ns) == "still");

    h->set_drop_incoming_connections(false);
    const client_id again = h->connect();
    h->send(again, "back\n");
    CHECK(h->receive_line(again, patience_ns) == "back");
    CHECK(h->stats().handlers_started == 2);
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario, "a full server in drop mode does not drop: it does not accept") {
    start(config(1, false, either_form()));
    const client_id holder = answered_client(*h, "hold");
    h->set_drop_incoming_connections(true);
    const client_id waiting = h->connect();
    h->send(waiting, "w\n");
    CHECK_FALSE(h->wait_peer_closed(waiting, brief_ns));
    CHECK(h->stats().dropped == 0);
    h->set_drop_incoming_connections(false);
    h->send(holder, "quit\n");
    CHECK(h->receive_line(holder, patience_ns) == "bye");
    CHECK(h->receive_line(waiting, patience_ns) == "w");
    CHECK(h->invariant());
}

}  // namespace berth::conformance
