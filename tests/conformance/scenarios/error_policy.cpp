// SEMANTICS.md section 5: every policy with a failing handler, in both forms.
#include <string>

#include <doctest/doctest.h>

#include "harness.hpp"
#include "scenario.hpp"

namespace berth::conformance {

namespace {

server_config config(core::error_policy policy, handler_form form) {
    return server_of(form, 2, policy);
}

// A failing handler's connection is closed and its slot freed; another client is
// then served, whatever the policy.
void fail_one(harness& h) {
    const client_id c = h.connect();
    h.send(c, "fail\n");
    CHECK(h.wait_peer_closed(c, patience_ns));
    CHECK(h.wait_until([&] { return h.stats().handler_errors == 1; }, patience_ns));
}

// After an error raised out of the backend's run: the server is closed, the
// connection that was there keeps being served until it finishes, and its slot is
// freed.
void survivor_keeps_running(harness& h, client_id survivor) {
    CHECK(h.is_closed());
    CHECK(h.num_connections() == 1);
    h.send(survivor, "t\n");
    CHECK(h.receive_line(survivor, patience_ns) == "t");
    h.send(survivor, "quit\n");
    CHECK(h.receive_line(survivor, patience_ns) == "bye");
    CHECK(h.wait_until([&] { return h.handlers_finished(); }, patience_ns));
    CHECK(h.num_connections() == 0);
    CHECK(h.invariant());
}

}  // namespace

TEST_CASE_FIXTURE(scenario,
                  "ignore: a failing handler closes its connection and nothing else happens") {
    const handler_form form = either_form();
    start(config(core::error_policy::ignore, form));
    fail_one(*h);
    CHECK(h->policy_calls().empty());
    CHECK(h->raised_errors().empty());
    CHECK_FALSE(h->is_closed());
    const client_id next = h->connect();
    h->send(next, "n\n");
    CHECK(h->receive_line(next, patience_ns) == "n");
    CHECK(h->num_connections() == 1);
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario,
                  "call: the function gets the peer and the error after the slot is freed") {
    const handler_form form = either_form();
    start(config(core::error_policy::call, form));
    fail_one(*h);
    CHECK(h->wait_until([&] { return h->policy_calls().size() == 1; }, patience_ns));
    REQUIRE(h->policy_calls().size() == 1);
    CHECK(contains(h->policy_calls()[0], ": fail requested"));
    CHECK(h->policy_calls()[0].size() > std::string(": fail requested").size());
    CHECK(h->num_connections() == 0);
    CHECK_FALSE(h->is_closed());
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario,
                  "raise: the error propagates out of run, the server closes first, slots are not "
                  "leaked and existing connections keep running") {
    const handler_form form = either_form();
    start(config(core::error_policy::raise, form));
    const client_id survivor = answered_client(*h, "s");
    fail_one(*h);
    CHECK(h->wait_until([&] { return !h->raised_errors().empty(); }, patience_ns));
    REQUIRE(h->raised_errors().size() == 1);
    CHECK(contains(h->raised_errors()[0], "fail requested"));
    survivor_keeps_running(*h, survivor);
}

TEST_CASE_FIXTURE(scenario,
                  "a raising call: the server closes first, the error propagates out of run, "
                  "existing connections keep running") {
    server_config cfg = config(core::error_policy::call, either_form());
    cfg.call_raises = true;
    start(cfg);
    const client_id survivor = answered_client(*h, "s");
    fail_one(*h);
    CHECK(h->wait_until([&] { return !h->raised_errors().empty(); }, patience_ns));
    REQUIRE(h->raised_errors().size() == 1);
    CHECK(contains(h->raised_errors()[0], "call raised after"));
    CHECK(contains(h->raised_errors()[0], "fail requested"));
    REQUIRE(h->policy_calls().size() == 1);
    survivor_keeps_running(*h, survivor);
}

TEST_CASE_FIXTURE(scenario, "a handler that finishes normally is not an error") {
    start(config(core::error_policy::call, either_form()));
    const client_id c = h->connect();
    h->send(c, "quit\n");
    CHECK(h->receive_line(c, patience_ns) == "bye");
    CHECK(h->wait_peer_closed(c, patience_ns));
    CHECK(h->wait_until([&] { return h->stats().handler_ok == 1; }, patience_ns));
    CHECK(h->policy_calls().empty());
}

}  // namespace berth::conformance
