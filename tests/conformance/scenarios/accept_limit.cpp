// SEMANTICS.md section 4: the accept loop and max_connections.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "harness.hpp"
#include "scenario.hpp"

namespace berth::conformance {

namespace {

server_config limited(std::uint32_t max_connections, handler_form form) {
    server_config cfg = server_of(form, max_connections);
    cfg.opts.backlog = 16;
    return cfg;
}

}  // namespace

TEST_CASE_FIXTURE(
    scenario,
    "limit 2 with 5 blocked clients admits exactly 2, then one per finished handler in "
    "accept order") {
    start(limited(2, either_form()));
    std::vector<client_id> c;
    for (int i = 0; i < 5; ++i) {
        c.push_back(h->connect());
        h->send(c.back(), "hello " + std::to_string(i) + "\n");
        h->advance(2 * ms);  // keeps the kernel's accept order the connect order
    }
    CHECK(h->receive_line(c[0], patience_ns) == "hello 0");
    CHECK(h->receive_line(c[1], patience_ns) == "hello 1");
    CHECK(h->num_connections() == 2);
    for (int i = 2; i < 5; ++i)
        CHECK_FALSE(h->receive_line(c[static_cast<std::size_t>(i)], brief_ns).has_value());
    CHECK(h->num_connections() == 2);

    for (std::size_t finished = 0; finished < 3; ++finished) {
        h->send(c[finished], "quit\n");
        CHECK(h->receive_line(c[finished], patience_ns) == "bye");
        const std::size_t next = finished + 2;
        CHECK(h->receive_line(c[next], patience_ns) == "hello " + std::to_string(next));
        for (std::size_t later = next + 1; later < 5; ++later)
            CHECK_FALSE(h->receive_line(c[later], brief_ns).has_value());
        CHECK(h->num_connections() == 2);
    }
    CHECK(h->stats().accepted == 5);
    CHECK(h->stats().handlers_started == 5);
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario,
                  "a slot is freed only when the handler has finished and its socket is closed") {
    start(limited(1, either_form()));
    const client_id a = answered_client(*h, "one");
    const client_id b = h->connect();
    h->send(b, "two\n");
    CHECK_FALSE(h->receive_line(b, brief_ns).has_value());
    h->close_client(a);  // the handler sees the end of the stream and finishes
    CHECK(h->receive_line(b, patience_ns) == "two");
    CHECK(h->num_connections() == 1);
    CHECK(h->stats().handler_ok == 1);
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(
    scenario, "a batch takes at most max_accepts_per_batch and never more than the free slots") {
    server_config cfg = limited(3, either_form());
    cfg.opts.max_accepts_per_batch = 8;
    start(cfg);
    std::vector<client_id> c;
    for (int i = 0; i < 6; ++i) {
        c.push_back(h->connect());
        h->send(c.back(), "x\n");
    }
    CHECK(h->wait_until([&] { return h->num_connections() == 3; }, patience_ns));
    h->advance(brief_ns);  // nothing more is accepted
    CHECK(h->num_connections() == 3);
    CHECK(h->stats().accepted == 3);
    CHECK(h->invariant());
}

}  // namespace berth::conformance
