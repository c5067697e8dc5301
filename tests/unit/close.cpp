// SEMANTICS.md section 8: closing the listener, the connections, the graceful
// drain, and the two completions.
#include <cerrno>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

namespace {

ev::close_requested close_with(bool existing,
                               core::time_ns drain_timeout_ns = core::no_deadline_ns) {
    return ev::close_requested{existing, drain_timeout_ns};
}

std::string closes_of(const std::vector<core::connection_id>& ids) {
    std::string out;
    for (const core::connection_id id : ids)
        out += (out.empty() ? "" : ", ") + std::string("close_socket(") + id_text(id) + ")";
    return out;
}

}  // namespace

TEST_CASE("is_closed is true from the moment close is handled") {
    core_driver d(options_with(4));
    CHECK_FALSE(d.server().is_closed());
    REQUIRE(d.server().handle(close_with(false), 0) == core::event_error::none);
    CHECK(d.server().is_closed());  // before a single action is pulled
    CHECK(std::holds_alternative<core::actions::close_listener>(d.server().poll()));
    CHECK(d.server().listener() == core::listener_state::closing);
}

TEST_CASE("Close with no connections closes the listener, then both completions fire") {
    core_driver d(options_with(4));
    static_cast<void>(d.take());
    REQUIRE(d.feed(close_with(false)) == core::event_error::none);
    CHECK(describe(d.take()) == "close_listener");
    CHECK_FALSE(d.server().close_completed());
    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    CHECK(describe(d.take()) == "complete_close, complete_handlers_finished");
    CHECK(d.server().close_completed());
    CHECK(d.server().handlers_finished());
}

TEST_CASE("Close while waiting for readability cancels the accept step") {
    core_driver d(options_with(4));
    REQUIRE(d.waiting_readable());
    static_cast<void>(d.take());
    REQUIRE(d.feed(close_with(false)) == core::event_error::none);
    CHECK(d.server().accept_step() == core::accept_phase::idle);
    CHECK(describe(d.take()) == "close_listener");
    CHECK(d.feed(ev::listener_readable{}) == core::event_error::readable_not_awaited);
}

TEST_CASE(
    "Close during a batch waits for batch_done before closing the listener, and the batch "
    "is closed without handlers") {
    core_driver d(options_with(4, 3));
    static_cast<void>(d.take());
    REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
    REQUIRE(d.feed(ev::socket_accepted{1}) == core::event_error::none);
    REQUIRE(d.feed(close_with(true)) == core::event_error::none);
    CHECK(describe(d.take()) == "accept_batch(3)");  // no close_listener yet
    CHECK(d.server().is_closed());
    // The driver finishes the batch it had started.
    REQUIRE(d.feed(ev::socket_accepted{2}) == core::event_error::none);
    REQUIRE(d.feed(ev::accept_failed{EAGAIN}) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    REQUIRE(d.feed(ev::batch_done{}) == core::event_error::none);
    CHECK(describe(d.take()) == "close_dropped_socket(1), close_dropped_socket(2), close_listener");
    CHECK(d.server().stats().closed_after_close == 2);
    CHECK(d.server().stats().dropped == 0);
    CHECK(d.server().stats().handlers_started == 0);
    CHECK(d.server().num_connections() == 0);
    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    CHECK(describe(d.take()) == "complete_close, complete_handlers_finished");
}

TEST_CASE("No handler starts after close: admitted connections get close_socket without handler") {
    core_driver d(options_with(4, 2));
    static_cast<void>(d.take());
    REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
    REQUIRE(d.feed(ev::socket_accepted{1}) == core::event_error::none);
    REQUIRE(d.feed(ev::socket_accepted{2}) == core::event_error::none);
    static_cast<void>(d.take());
    // batch_done is handled, and close arrives before the driver pulls start_handler.
    REQUIRE(d.server().handle(ev::batch_done{}, d.now_ns()) == core::event_error::none);
    CHECK(d.server().num_connections() == 2);
    REQUIRE(d.feed(close_with(false)) == core::event_error::none);
    const auto as = d.take();
    CHECK(describe(as) == "close_listener, close_socket(0.1), close_socket(1.1)");
    std::vector<core::socket_handle> sockets;
    for (const core::action& a : as) {
        if (const auto* c = std::get_if<core::actions::close_socket>(&a)) {
            CHECK_FALSE(c->handler_started);
            sockets.push_back(c->socket);
        }
    }
    CHECK(sockets == std::vector<core::socket_handle>{1, 2});
    CHECK(d.server().stats().closed_after_close == 2);
    CHECK(d.server().stats().handlers_started == 0);
    CHECK(d.server().invariant());

    // Their closes free the slots without a release (there was no handler to report on).
    REQUIRE(d.feed(ev::socket_closed{{0, 1}}) == core::event_error::none);
    REQUIRE(d.feed(ev::socket_closed{{1, 1}}) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    CHECK(d.server().num_connections() == 0);
    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    CHECK(describe(d.take()) == "complete_close, complete_handlers_finished");
}

TEST_CASE("Close is idempotent: the listener closes once and complete_close fires once") {
    core_driver d(options_with(4));
    const auto ids = admit(d, {1});
    REQUIRE(d.feed(close_with(false)) == core::event_error::none);
    CHECK(describe(d.take()) == "close_listener");
    REQUIRE(d.feed(close_with(false)) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    CHECK(describe(d.take()) == "complete_close");
    REQUIRE(d.feed(close_with(false)) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    CHECK(d.server().listener() == core::listener_state::closed);
    // The connection was left alone by all three.
    CHECK(d.server().is_live(ids[0]));
    CHECK(describe(finish(d, ids[0])) ==
          "release_connection(0.1, none), complete_handlers_finished");
}

TEST_CASE(
    "close_existing_connections closes every live socket, cancels no handler, and the "
    "completion waits for the listener and those sockets") {
    core_driver d(options_with(8, 4));
    static_cast<void>(d.take());
    d.accept({1, 2, 3});
    const auto ids = started_ids(d.take());
    REQUIRE(ids.size() == 3);

    REQUIRE(d.feed(close_with(true)) == core::event_error::none);
    const auto as = d.take();
    CHECK(describe(as) == "close_listener, " + closes_of(ids));
    for (const core::action& a : as) {
        if (const auto* c = std::get_if<core::actions::close_socket>(&a)) {
            CHECK(c->handler_started);
        }
    }

    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    REQUIRE(d.feed(ev::socket_closed{ids[1]}) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    CHECK_FALSE(d.server().close_completed());
    REQUIRE(d.feed(ev::socket_closed{ids[2]}) == core::event_error::none);
    CHECK(describe(d.take()) == "complete_close");

    // The handlers were not cancelled: each leaves by the normal path.
    CHECK(d.server().num_connections() == 3);
    for (const core::connection_id id : ids)
        CHECK(d.server().is_live(id));
    REQUIRE(d.feed(ev::handler_returned{ids[1], core::outcome::ok}) == core::event_error::none);
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::error}) == core::event_error::none);
    CHECK(describe(d.take()) == "release_connection(" + id_text(ids[1]) + ", none), " +
                                    "release_connection(" + id_text(ids[0]) + ", ignore)");
    REQUIRE(d.feed(ev::handler_returned{ids[2], core::outcome::ok}) == core::event_error::none);
    CHECK(describe(d.take()) ==
          "release_connection(" + id_text(ids[2]) + ", none), complete_handlers_finished");
}

TEST_CASE(
    "The close completion with close_existing_connections waits for the last socket even "
    "when the listener closes last") {
    core_driver d(options_with(8));
    const auto ids = admit(d, {1});
    REQUIRE(d.feed(close_with(true)) == core::event_error::none);
    static_cast<void>(d.take());
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    CHECK(describe(d.take()) == "complete_close");
}

TEST_CASE("A later close(true) after close(false) still closes the connections present") {
    core_driver d(options_with(8, 2));
    static_cast<void>(d.take());
    d.accept({1, 2});
    const auto ids = started_ids(d.take());
    REQUIRE(ids.size() == 2);

    REQUIRE(d.feed(close_with(false)) == core::event_error::none);
    CHECK(describe(d.take()) == "close_listener");
    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    CHECK(describe(d.take()) == "complete_close");  // the first call's completion

    REQUIRE(d.feed(close_with(true)) == core::event_error::none);
    CHECK(describe(d.take()) == closes_of(ids));
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    REQUIRE(d.feed(ev::socket_closed{ids[1]}) == core::event_error::none);
    CHECK(describe(d.take()).empty());  // no second complete_close
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    REQUIRE(d.feed(ev::handler_returned{ids[1], core::outcome::ok}) == core::event_error::none);
    CHECK(describe(d.take()) == "release_connection(" + id_text(ids[0]) + ", none), " +
                                    "release_connection(" + id_text(ids[1]) +
                                    ", none), complete_handlers_finished");
}

TEST_CASE("A connection already closing is not closed twice by close_existing_connections") {
    core_driver d(options_with(8));
    const auto ids = admit(d, {1});
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(" + id_text(ids[0]) + ")");
    REQUIRE(d.feed(close_with(true)) == core::event_error::none);
    CHECK(describe(d.take()) == "close_listener");
    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    CHECK(describe(d.take()).empty());  // its close is still outstanding
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    CHECK(describe(d.take()) ==
          "release_connection(0.1, none), complete_close, complete_handlers_finished");
}

TEST_CASE("handlers_finished fires when the listener is closed and no connection remains, once") {
    SUBCASE("the connection ends after the listener closed") {
        core_driver d(options_with(4));
        const auto ids = admit(d, {1});
        REQUIRE(d.feed(close_with(false)) == core::event_error::none);
        REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
        CHECK(describe(d.take()) == "close_listener, complete_close");
        CHECK_FALSE(d.server().handlers_finished());
        CHECK(describe(finish(d, ids[0])) ==
              "release_connection(0.1, none), complete_handlers_finished");
        CHECK(d.server().handlers_finished());
        CHECK(d.advance(1) == core::event_error::none);
        REQUIRE(d.feed(close_with(true)) == core::event_error::none);
        CHECK(describe(d.take()).empty());
    }
    SUBCASE("the connection ends before the listener closed") {
        core_driver d(options_with(4));
        const auto ids = admit(d, {1});
        REQUIRE(d.feed(close_with(false)) == core::event_error::none);
        CHECK(describe(d.take()) == "close_listener");
        CHECK(describe(finish(d, ids[0])) == "release_connection(0.1, none)");
        CHECK_FALSE(d.server().handlers_finished());
        REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
        CHECK(describe(d.take()) == "complete_close, complete_handlers_finished");
    }
    SUBCASE("a dropped batch still being closed does not count as a connection") {
        core_driver d(options_with(4, 2));
        static_cast<void>(d.take());
        REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
        REQUIRE(d.feed(close_with(false)) == core::event_error::none);
        REQUIRE(d.feed(ev::socket_accepted{1}) == core::event_error::none);
        REQUIRE(d.feed(ev::batch_done{}) == core::event_error::none);
        REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
        CHECK(describe(d.take()) ==
              "accept_batch(2), close_dropped_socket(1), close_listener, "
              "complete_close, complete_handlers_finished");
    }
}

TEST_CASE("A drain deadline closes the remaining connections at the deadline") {
    core_driver d(options_with(4, 2));
    static_cast<void>(d.take());
    d.accept({1, 2});
    const auto ids = started_ids(d.take());
    REQUIRE(ids.size() == 2);

    const core::time_ns deadline_ns = 10 * core::ns_per_s;
    REQUIRE(d.feed(close_with(false, deadline_ns)) == core::event_error::none);
    CHECK(describe(d.take()) == "close_listener");
    CHECK(d.deadline_ns() == deadline_ns);  // the core asks for a timer at the deadline
    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    CHECK(describe(d.take()) == "complete_close");
    CHECK(d.deadline_ns() == deadline_ns);

    // One connection ends by itself before the deadline.
    CHECK(describe(finish(d, ids[0])) == "release_connection(" + id_text(ids[0]) + ", none)");

    CHECK(d.advance(deadline_ns - 1) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    CHECK(d.advance(1) == core::event_error::none);
    CHECK(describe(d.take()) ==
          "close_socket(" + id_text(ids[1]) + "), notice(drain_deadline_reached)");
    CHECK(d.deadline_ns() == core::no_deadline_ns);

    REQUIRE(d.feed(ev::socket_closed{ids[1]}) == core::event_error::none);
    CHECK(describe(d.take()).empty());  // the handler is not cancelled
    REQUIRE(d.feed(ev::handler_returned{ids[1], core::outcome::ok}) == core::event_error::none);
    CHECK(describe(d.take()) ==
          "release_connection(" + id_text(ids[1]) + ", none), complete_handlers_finished");
}

TEST_CASE("The earlier drain deadline wins") {
    core_driver d(options_with(4));
    static_cast<void>(admit(d, {1}));
    REQUIRE(d.feed(close_with(false, 10 * core::ns_per_s)) == core::event_error::none);
    CHECK(d.deadline_ns() == 10 * core::ns_per_s);
    REQUIRE(d.feed(close_with(false, 5 * core::ns_per_s)) == core::event_error::none);
    CHECK(d.deadline_ns() == 5 * core::ns_per_s);
    REQUIRE(d.feed(close_with(false, 20 * core::ns_per_s)) == core::event_error::none);
    CHECK(d.deadline_ns() == 5 * core::ns_per_s);
    static_cast<void>(d.take());
    CHECK(d.advance(5 * core::ns_per_s) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1), notice(drain_deadline_reached)");
}

TEST_CASE("A drain timeout of zero closes the connections at once") {
    core_driver d(options_with(4));
    static_cast<void>(admit(d, {1}));
    d.set_now_ns(core::ns_per_s);
    REQUIRE(d.feed(close_with(false, 0)) == core::event_error::none);
    CHECK(describe(d.take()) ==
          "close_listener, close_socket(0.1), notice(drain_deadline_reached)");
}

TEST_CASE("A drain deadline with no connection left arms no timer and gives no notice") {
    core_driver d(options_with(4));
    const auto ids = admit(d, {1});
    REQUIRE(d.feed(close_with(false, 10 * core::ns_per_s)) == core::event_error::none);
    static_cast<void>(finish(d, ids[0]));
    CHECK(d.deadline_ns() == core::no_deadline_ns);
    CHECK(d.advance(20 * core::ns_per_s) == core::event_error::none);
    CHECK_FALSE(d.saw<core::actions::notice>());
}
