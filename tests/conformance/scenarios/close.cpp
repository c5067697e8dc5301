// SEMANTICS.md section 8: closing, and the graceful drain.
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "berth/errors.hpp"
#include "harness.hpp"
#include "scenario.hpp"

namespace berth::conformance {

namespace {

using std::chrono::milliseconds;

server_config config(std::uint32_t max_connections, handler_form form) {
    return server_of(form, max_connections);
}

bool all_closed(const harness& h) {
    return h.close_finished() && h.handlers_finished();
}

// A server whose writer would wait a long time for a final flush: a client that
// never reads cannot make a flush end, and nothing else stops it for 30 s.
constexpr time_ns long_final_flush_ns = 30'000 * ms;
static_assert(4 * patience_ns < long_final_flush_ns,
              "a close that waited for the final flush could not end within patience");

server_config flushing_for_long(handler_form form) {
    server_config cfg = config(2, form);
    cfg.opts.final_flush_timeout_ns = long_final_flush_ns;
    cfg.opts.buffer_age_limit_ns = core::unlimited_age_ns;
    cfg.record_notices = true;
    return cfg;
}

// A client that asked for a gigabyte and never reads it: once the kernel's
// buffers are full, the handler waits for its writes to go out (flushed(), or the
// stream's write), and they never will.
client_id flooded_client(harness& h) {
    const client_id c = h.connect();
    h.send(c, "flood 1073741824\n");
    CHECK(h.wait_until([&] { return h.stats().handlers_started == 1; }, patience_ns));
    h.advance(brief_ns);  // the flood fills the buffers on the way to the client
    CHECK(h.num_connections() == 1);
    return c;
}

std::size_t count(const std::vector<core::notice_kind>& notices, core::notice_kind kind) {
    return static_cast<std::size_t>(std::count(notices.begin(), notices.end(), kind));
}

}  // namespace

TEST_CASE_FIXTURE(scenario,
                  "close without closing existing connections lets them run to their end") {
    start(config(4, either_form()));
    const client_id live = answered_client(*h, "a");

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
    start(config(4, either_form()));
    const client_id a = answered_client(*h, "a");
    const client_id b = answered_client(*h, "b");

    h->close(true);
    CHECK(h->wait_peer_closed(a, patience_ns));
    CHECK(h->wait_peer_closed(b, patience_ns));
    CHECK(h->wait_until([&] { return all_closed(*h); }, patience_ns));
    CHECK(h->num_connections() == 0);
    CHECK(h->stats().handler_errors == 0);  // a handler that finds its socket closed ends well
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(
    scenario, "close is idempotent and a later close_existing_connections closes those present") {
    start(config(4, either_form()));
    const client_id a = answered_client(*h, "a");
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
    start(config(4, either_form()));
    const client_id finishing = answered_client(*h, "f");
    const client_id lingering = answered_client(*h, "l");

    h->close_with_drain(milliseconds(300));
    CHECK(h->is_closed());
    CHECK_FALSE(h->wait_peer_closed(lingering, brief_ns));  // the drain has not expired
    h->send(finishing, "quit\n");
    CHECK(h->receive_line(finishing, patience_ns) == "bye");
    CHECK(h->wait_until([&] { return h->num_connections() == 1; }, patience_ns));
    CHECK_FALSE(h->handlers_finished());

    CHECK(h->wait_peer_closed(lingering, patience_ns));  // closed at the deadline
    CHECK(h->wait_until([&] { return all_closed(*h); }, patience_ns));
    CHECK(h->num_connections() == 0);
    CHECK(h->stats().handler_errors == 0);
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(
    scenario,
    "close_with_drain takes a duration from the call: a drain of D closes a lingering "
    "connection after D and not before, and a negative drain is refused") {
    start(config(4, either_form()));
    const client_id lingering = answered_client(*h, "l");
    CHECK_THROWS_AS(h->close_with_drain(milliseconds(-1)), creation_error);
    CHECK_FALSE(h->is_closed());  // the refused call changed nothing

    // Time has passed since the start: a deadline taken as a point in time since
    // the clock's origin would be over already.
    h->advance(500 * ms);
    constexpr time_ns drain_ns = 300 * ms;
    const time_ns called_ns = h->now_ns();
    h->close_with_drain(std::chrono::nanoseconds(drain_ns));
    CHECK_FALSE(h->wait_peer_closed(lingering, drain_ns - 50 * ms));
    CHECK(h->wait_peer_closed(lingering, patience_ns));
    const time_ns elapsed_ns = h->now_ns() - called_ns;
    CHECK(elapsed_ns >= drain_ns);
    CHECK(elapsed_ns < drain_ns + 2000 * ms);  // about D: late on a loaded machine, never early
    CHECK(h->wait_until([&] { return all_closed(*h); }, patience_ns));
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario,
                  "close(true) closes a connection flooding a client that never reads at once, "
                  "without waiting for the writer's final flush") {
    start(flushing_for_long(either_form()));
    const client_id c = flooded_client(*h);
    const time_ns called_ns = h->now_ns();
    h->close(true);
    // The client does not read: only a close that does not wait for the flush
    // ends within patience.
    CHECK(h->wait_until([&] { return all_closed(*h); }, patience_ns));
    CHECK(h->now_ns() - called_ns < patience_ns);
    CHECK(h->num_connections() == 0);
    CHECK(h->wait_peer_closed(c, patience_ns));
    CHECK(h->stats().handler_errors == 0);
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario,
                  "a drain's deadline closes a connection flooding a client that never reads at "
                  "once, without waiting for the writer's final flush") {
    start(flushing_for_long(either_form()));
    const client_id c = flooded_client(*h);
    constexpr time_ns drain_ns = 100 * ms;
    const time_ns called_ns = h->now_ns();
    h->close_with_drain(std::chrono::nanoseconds(drain_ns));
    CHECK(h->wait_until([&] { return all_closed(*h); }, patience_ns));
    const time_ns elapsed_ns = h->now_ns() - called_ns;
    CHECK(elapsed_ns >= drain_ns);
    CHECK(elapsed_ns < patience_ns);
    CHECK(h->wait_until(
        [&] { return count(h->notices(), core::notice_kind::drain_deadline_reached) == 1; },
        patience_ns));
    CHECK(h->wait_peer_closed(c, patience_ns));
    CHECK(h->stats().handler_errors == 0);
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario,
                  "no handler is started after close has returned: a handler that closes the "
                  "server stops the rest of its batch, whose sockets are closed unserved") {
    server_config cfg = config(4, either_form());
    cfg.opts.max_accepts_per_batch = 4;
    cfg.first_handler_closes = true;
    start(cfg);
    const std::size_t descriptors_listening = h->open_descriptors();
    // Both connect before the server runs again, so one batch accepts both; the
    // first handler's close returns before the second handler would start.
    const client_id first = h->connect();
    const client_id second = h->connect();
    h->send(first, "one\n");
    h->send(second, "two\n");
    CHECK(h->wait_until([&] { return h->stats().accepted == 2; }, patience_ns));
    CHECK(h->is_closed());
    CHECK(h->stats().handlers_started == 1);
    CHECK(h->stats().closed_after_close == 1);

    // One of them is served (the kernel's accept order decides which), the other
    // closed without a handler.
    const bool first_served = h->receive_line(first, patience_ns) == "one";
    const client_id served = first_served ? first : second;
    const client_id unserved = first_served ? second : first;
    if (!first_served) CHECK(h->receive_line(second, patience_ns) == "two");
    CHECK(h->wait_peer_closed(unserved, patience_ns));
    h->send(served, "quit\n");
    CHECK(h->receive_line(served, patience_ns) == "bye");
    CHECK(h->wait_until([&] { return all_closed(*h); }, patience_ns));
    CHECK(h->stats().handlers_started == 1);
    CHECK(h->num_connections() == 0);

    // The server holds nothing now: not the listener, not the unserved socket.
    h->close_client(first);
    h->close_client(second);
    CHECK(h->wait_until([&] { return h->open_descriptors() == descriptors_listening - 1; },
                        patience_ns));
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario,
                  "a client queued while the server is full is never served once close has "
                  "returned: the listener's close closes it") {
    start(config(1, either_form()));
    const client_id holder = answered_client(*h, "x");
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
