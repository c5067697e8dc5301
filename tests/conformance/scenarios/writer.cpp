// SEMANTICS.md section 7: the reader/writer variant.
#include <string>

#include <doctest/doctest.h>

#include "harness.hpp"

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

TEST_CASE("a peer that never reads trips the writer's age limit") {
    auto h = make_harness();
    h->start_server(config(50 * ms));
    const client_id c = h->connect();
    // Far more echo than any socket buffer holds; the client never reads it.
    const std::string line(1000, 'z');
    for (int i = 0; i < 8000; ++i)
        h->send(c, line + "\n");
    CHECK(h->wait_until([&] { return !h->policy_calls().empty(); }, 3000 * ms));
    REQUIRE(h->policy_calls().size() == 1);
    const std::string call = h->policy_calls()[0];
    CHECK(call.find("too old") != std::string::npos);
    CHECK(call.find("bytes waiting") != std::string::npos);
    CHECK(h->wait_peer_closed(c, 100 * ms));
    CHECK(h->stats().handler_errors == 1);
    CHECK(h->invariant());
}

TEST_CASE("a departed peer ends the connection normally, not as a handler error") {
    auto h = make_harness();
    h->start_server(config(1000 * ms));
    const client_id c = h->connect();
    h->send(c, "hello\n");
    h->close_client(c);
    CHECK(h->wait_until([&] { return h->stats().handler_ok == 1; }, 100 * ms));
    CHECK(h->stats().handler_errors == 0);
    CHECK(h->policy_calls().empty());
    CHECK(h->num_connections() == 0);
}

TEST_CASE("the writer flushes what it holds before the socket is closed") {
    auto h = make_harness();
    h->start_server(config(1000 * ms));
    const client_id c = h->connect();
    h->send(c, "first\nsecond\nquit\n");
    CHECK(h->receive_line(c, 50 * ms) == "first");
    CHECK(h->receive_line(c, 50 * ms) == "second");
    CHECK(h->receive_line(c, 50 * ms) == "bye");
    CHECK(h->wait_peer_closed(c, 50 * ms));
    CHECK(h->wait_until([&] { return h->stats().handler_ok == 1; }, 50 * ms));
}

}  // namespace berth::conformance
