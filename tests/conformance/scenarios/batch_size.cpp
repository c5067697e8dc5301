// SEMANTICS.md section 4.2: an accept step takes at most
// min(max_accepts_per_batch, free) connections, in the kernel's accept order.
// The clients connect back to back without the server running, so all of them
// are queued when the first step starts. A step that stops short of its size
// found the queue empty: statistics count it as `nothing_there`.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "berth/core/accept_error.hpp"
#include "harness.hpp"
#include "scenario.hpp"

namespace berth::conformance {

namespace {

server_config batches(std::uint32_t max_connections, std::uint32_t per_batch, handler_form form) {
    server_config cfg = server_of(form, max_connections);
    cfg.opts.max_accepts_per_batch = per_batch;
    cfg.opts.backlog = 16;
    return cfg;
}

std::vector<client_id> queue_clients(harness& h, int count) {
    std::vector<client_id> c;
    for (int i = 0; i < count; ++i) {
        c.push_back(h.connect());
        h.send(c.back(), "c" + std::to_string(i) + "\n");
    }
    return c;
}

std::uint64_t empty_queue_ends(const harness& h) {
    return h.stats().accept_errors_of(core::accept_error_class::nothing_there);
}

}  // namespace

TEST_CASE_FIXTURE(scenario, "batch size 1: one connection per accept step") {
    start(batches(8, 1, either_form()));
    const std::vector<client_id> c = queue_clients(*h, 3);
    for (std::size_t i = 0; i < c.size(); ++i)
        CHECK(h->receive_line(c[i], patience_ns) == "c" + std::to_string(i));
    CHECK(h->stats().accepted == 3);
    CHECK(empty_queue_ends(*h) == 0);  // every step stopped at its size of 1
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario, "batch size 4: every queued connection in one accept step") {
    start(batches(8, 4, either_form()));
    const std::vector<client_id> c = queue_clients(*h, 3);
    for (std::size_t i = 0; i < c.size(); ++i)
        CHECK(h->receive_line(c[i], patience_ns) == "c" + std::to_string(i));
    CHECK(h->stats().accepted == 3);
    CHECK(empty_queue_ends(*h) == 1);  // one step took all 3, then found the queue empty
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario, "a batch stops at the free slots and admits in accept order") {
    start(batches(2, 4, either_form()));
    const std::vector<client_id> c = queue_clients(*h, 3);
    CHECK(h->receive_line(c[0], patience_ns) == "c0");
    CHECK(h->receive_line(c[1], patience_ns) == "c1");
    CHECK_FALSE(h->receive_line(c[2], brief_ns).has_value());
    CHECK(h->stats().accepted == 2);
    CHECK(empty_queue_ends(*h) == 0);  // stopped by the free slots, not the kernel
    h->send(c[0], "quit\n");
    CHECK(h->receive_line(c[0], patience_ns) == "bye");
    CHECK(h->receive_line(c[2], patience_ns) == "c2");
    CHECK(h->num_connections() == 2);
    CHECK(h->invariant());
}

}  // namespace berth::conformance
