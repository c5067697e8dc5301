// SEMANTICS.md section 7: the reader/writer variant.
#include <string>

#include <doctest/doctest.h>

#include "harness.hpp"
#include "scenario.hpp"

namespace berth::conformance {

namespace {

server_config config(time_ns buffer_age_limit_ns) {
    server_config cfg;
    cfg.form = handler_form::stream;
    cfg.opts.max_connections = 4;
    cfg.opts.on_handler_error = core::error_policy::call;
    cfg.opts.buffer_age_limit_ns = buffer_age_limit_ns;
    return cfg;
}

}  // namespace

TEST_CASE_FIXTURE(scenario, "a peer that never reads trips the writer's age limit") {
    start(config(50 * ms));
    const client_id c = h->connect();
    // Far more echo than any socket buffer holds; the client never reads it.
    const std::string line(1000, 'z');
    for (int i = 0; i < 8000; ++i)
        h->send(c, line + "\n");
    CHECK(h->wait_until([&] { return !h->policy_calls().empty(); }, patience_ns));
    REQUIRE(h->policy_calls().size() == 1);
    const std::string call = h->policy_calls()[0];
    CHECK(call.find("too old") != std::string::npos);
    CHECK(call.find("bytes waiting") != std::string::npos);
    CHECK(h->wait_peer_closed(c, patience_ns));
    CHECK(h->stats().handler_errors == 1);
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario,
                  "a departed peer ends the connection normally, not as a handler error") {
    start(config(1000 * ms));
    const client_id c = h->connect();
    h->send(c, "hello\n");
    h->close_client(c);
    CHECK(h->wait_until([&] { return h->stats().handler_ok == 1; }, patience_ns));
    CHECK(h->stats().handler_errors == 0);
    CHECK(h->policy_calls().empty());
    CHECK(h->num_connections() == 0);
}

TEST_CASE_FIXTURE(scenario, "a consumer gone while the writer has a flood to write ends ok") {
    start(config(core::unlimited_age_ns));
    const client_id c = h->connect();
    // Megabytes of echo the client never reads: the writer is blocked on a full
    // socket buffer when the client goes (closing with unread data: a reset).
    const std::string line(1000, 'f');
    for (int i = 0; i < 4000; ++i)
        h->send(c, line + "\n");
    CHECK(h->wait_until([&] { return h->stats().handlers_started == 1; }, patience_ns));
    h->advance(brief_ns);  // the server reads and echoes what it can
    h->close_client(c);
    CHECK(h->wait_until([&] { return h->num_connections() == 0; }, patience_ns));
    CHECK(h->stats().handler_ok == 1);
    CHECK(h->stats().handler_errors == 0);
    CHECK(h->policy_calls().empty());
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario, "the writer flushes what it holds before the socket is closed") {
    start(config(1000 * ms));
    const client_id c = h->connect();
    h->send(c, "first\nsecond\nquit\n");
    CHECK(h->receive_line(c, patience_ns) == "first");
    CHECK(h->receive_line(c, patience_ns) == "second");
    CHECK(h->receive_line(c, patience_ns) == "bye");
    CHECK(h->wait_peer_closed(c, patience_ns));
    CHECK(h->wait_until([&] { return h->stats().handler_ok == 1; }, patience_ns));
}

}  // namespace berth::conformance
