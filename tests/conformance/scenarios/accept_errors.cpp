// SEMANTICS.md section 6: accept errors of every class, through the fault seam.
#include <cerrno>
#include <string>

#include <doctest/doctest.h>

#include "berth/core/accept_error.hpp"
#include "harness.hpp"
#include "scenario.hpp"

namespace berth::conformance {

namespace {

server_config config(core::exhaustion_mode mode, handler_form form) {
    server_config cfg = server_of(form, 4);
    cfg.opts.on_accept_exhaustion = mode;
    return cfg;
}

std::uint64_t errors_of(const harness& h, core::accept_error_class c) {
    return h.stats().accept_errors_of(c);
}

}  // namespace

TEST_CASE_FIXTURE(scenario,
                  "EMFILE pauses accepting with exponential back-off, then accepting recovers") {
    start(config(core::exhaustion_mode::back_off, either_form()));
    h->inject_accept_errors({EMFILE, EMFILE, EMFILE});
    const client_id c = h->connect();
    h->send(c, "late\n");
    // 5 + 10 + 20 ms of back-off before the fourth attempt succeeds.
    CHECK(h->receive_line(c, patience_ns) == "late");
    CHECK(h->stats().back_off_pauses == 3);
    CHECK(errors_of(*h, core::accept_error_class::out_of_resources) == 3);
    CHECK_FALSE(h->is_closed());
    CHECK(h->raised_errors().empty());
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario,
                  "a per-connection accept error skips that connection: its client is closed "
                  "without a handler, and the next client is served") {
    start(config(core::exhaustion_mode::back_off, either_form()));
    h->inject_accept_errors({ECONNABORTED});
    // The seam takes this client's connection out of the listen queue and resets
    // it, as the kernel does for a client that reset before the accept.
    const client_id skipped = h->connect();
    h->send(skipped, "skipped\n");
    CHECK(h->wait_until(
        [&] { return errors_of(*h, core::accept_error_class::per_connection) == 1; }, patience_ns));
    // Had its connection been served after all, "skipped" would come back and the
    // connection would stay open.
    CHECK(h->wait_peer_closed(skipped, patience_ns));
    CHECK(h->stats().handlers_started == 0);
    CHECK(h->stats().accepted == 0);

    const client_id next = h->connect();
    h->send(next, "ok\n");
    CHECK(h->receive_line(next, patience_ns) == "ok");
    CHECK(h->stats().handlers_started == 1);
    CHECK(errors_of(*h, core::accept_error_class::per_connection) == 1);
    CHECK(h->stats().back_off_pauses == 0);
    CHECK_FALSE(h->is_closed());
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario, "a fatal accept error closes the listening socket and raises") {
    start(config(core::exhaustion_mode::back_off, either_form()));
    h->inject_accept_errors({EINVAL});
    const client_id c = h->connect();
    CHECK(h->wait_until([&] { return !h->raised_errors().empty(); }, patience_ns));
    REQUIRE(h->raised_errors().size() == 1);
    CHECK(h->raised_errors()[0].find("accept") != std::string::npos);
    CHECK(h->is_closed());
    CHECK(h->wait_until([&] { return h->close_finished(); }, patience_ns));
    CHECK(h->wait_peer_closed(c, patience_ns));
    CHECK(errors_of(*h, core::accept_error_class::fatal) == 1);
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario,
                  "shed mode: running out of descriptors closes the queued connections promptly") {
    server_config cfg = config(core::exhaustion_mode::shed, either_form());
    cfg.opts.max_accepts_per_batch = 4;  // room to find the queue empty and stop shedding
    start(cfg);
    h->inject_accept_errors({EMFILE});
    const client_id waiting = h->connect();
    CHECK(h->wait_peer_closed(waiting, patience_ns));
    CHECK(h->stats().shed == 1);
    const client_id next = h->connect();
    h->send(next, "served\n");
    CHECK(h->receive_line(next, patience_ns) == "served");
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario,
                  "EAGAIN ends the batch quietly and the loop waits for readability again") {
    start(config(core::exhaustion_mode::back_off, either_form()));
    h->inject_accept_errors({EAGAIN, EINTR});
    const client_id c = h->connect();
    h->send(c, "x\n");
    CHECK(h->receive_line(c, patience_ns) == "x");
    CHECK(h->stats().back_off_pauses == 0);
    CHECK(h->raised_errors().empty());
}

}  // namespace berth::conformance
