// SEMANTICS.md section 10: an event that breaks the contract is refused with the
// error that names the breach, and changes nothing; connection ids carry a
// generation so that a late event for an old connection never touches a new one.
#include <cerrno>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;
using core::event_error;

TEST_CASE("Time going backwards is refused") {
    core_driver d(options_with(4));
    d.set_now_ns(1000);
    REQUIRE(d.feed(ev::timer_fired{}) == event_error::none);
    expect_refused(d, ev::timer_fired{}, event_error::time_went_backwards, 999);
    expect_refused(d, ev::listener_readable{}, event_error::time_went_backwards, 0);
    // The same time again is fine.
    CHECK(d.feed(ev::timer_fired{}) == event_error::none);
}

TEST_CASE("listener_readable without an outstanding wait_readable is refused") {
    core_driver d(options_with(1, 2));
    SUBCASE("during a batch") {
        REQUIRE(d.feed(ev::listener_readable{}) == event_error::none);
        expect_refused(d, ev::listener_readable{}, event_error::readable_not_awaited);
    }
    SUBCASE("while the server is full") {
        static_cast<void>(admit(d, {1}));
        expect_refused(d, ev::listener_readable{}, event_error::readable_not_awaited);
    }
    SUBCASE("after close") {
        REQUIRE(d.feed(ev::close_requested{}) == event_error::none);
        expect_refused(d, ev::listener_readable{}, event_error::readable_not_awaited);
    }
}

TEST_CASE("An accept result outside an accept batch is refused") {
    core_driver d(options_with(4, 2));
    REQUIRE(d.waiting_readable());
    expect_refused(d, ev::socket_accepted{1}, event_error::accept_not_requested);
    expect_refused(d, ev::accept_failed{EAGAIN}, event_error::accept_not_requested);
    d.accept({1});
    expect_refused(d, ev::socket_accepted{2}, event_error::accept_not_requested);
    expect_refused(d, ev::accept_failed{EMFILE}, event_error::accept_not_requested);
}

TEST_CASE("An accept result beyond the batch's budget or after it ended is refused") {
    core_driver d(options_with(4, 2));
    REQUIRE(d.feed(ev::listener_readable{}) == event_error::none);
    REQUIRE(d.feed(ev::socket_accepted{1}) == event_error::none);
    REQUIRE(d.feed(ev::socket_accepted{2}) == event_error::none);
    expect_refused(d, ev::socket_accepted{3}, event_error::accept_batch_exhausted);
    expect_refused(d, ev::accept_failed{EAGAIN}, event_error::accept_batch_exhausted);
    REQUIRE(d.feed(ev::batch_done{}) == event_error::none);

    REQUIRE(d.feed(ev::listener_readable{}) == event_error::none);
    REQUIRE(d.feed(ev::accept_failed{EAGAIN}) == event_error::none);
    expect_refused(d, ev::socket_accepted{4}, event_error::accept_batch_exhausted);
    REQUIRE(d.feed(ev::batch_done{}) == event_error::none);
    CHECK(d.server().num_connections() == 2);
}

TEST_CASE("A shed batch takes no sockets, and only a shed batch sheds them") {
    core::options o = options_with(4, 2);
    o.on_accept_exhaustion = core::exhaustion_mode::shed;
    core_driver d(o);
    REQUIRE(d.feed(ev::listener_readable{}) == event_error::none);
    expect_refused(d, ev::socket_shed{}, event_error::shed_mismatch);
    REQUIRE(d.feed(ev::accept_failed{EMFILE}) == event_error::none);
    REQUIRE(d.feed(ev::batch_done{}) == event_error::none);

    REQUIRE(d.feed(ev::listener_readable{}) == event_error::none);
    REQUIRE(describe(d.take()).find("accept_batch(2, shed)") != std::string::npos);
    expect_refused(d, ev::socket_accepted{7}, event_error::shed_mismatch);
    REQUIRE(d.feed(ev::socket_shed{}) == event_error::none);
    CHECK(d.server().stats().shed == 1);
    CHECK(d.server().num_connections() == 0);
}

TEST_CASE("batch_done without an outstanding accept batch is refused") {
    core_driver d(options_with(4));
    expect_refused(d, ev::batch_done{}, event_error::batch_not_started);
    d.accept({1});
    expect_refused(d, ev::batch_done{}, event_error::batch_not_started);
}

TEST_CASE("An id that names no connection the server ever had is unknown") {
    core_driver d(options_with(4), core::connection_form::reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(ids.size() == 1);
    for (const core::connection_id id :
         {core::connection_id{}, core::connection_id{0, 0}, core::connection_id{0, 2},
          core::connection_id{1, 1}, core::connection_id{999, 1}}) {
        CAPTURE(id_text(id));
        expect_refused(d, ev::handler_returned{id, core::outcome::ok},
                       event_error::unknown_connection);
        expect_refused(d, ev::socket_closed{id}, event_error::unknown_connection);
        expect_refused(d, ev::bytes_buffered{id, 1}, event_error::unknown_connection);
        expect_refused(d, ev::bytes_flushed{id, 0}, event_error::unknown_connection);
        expect_refused(d, ev::write_failed{id, EPIPE}, event_error::unknown_connection);
    }
}

TEST_CASE("An id of a released connection is stale and never touches the slot's new occupant") {
    core_driver d(options_with(4), core::connection_form::reader_writer);
    const auto old_ids = admit(d, {1});
    const core::connection_id old_id = old_ids[0];
    static_cast<void>(finish(d, old_id));
    expect_refused(d, ev::handler_returned{old_id, core::outcome::error},
                   event_error::stale_connection);
    expect_refused(d, ev::socket_closed{old_id}, event_error::stale_connection);

    const auto new_ids = admit(d, {2});
    const core::connection_id new_id = new_ids[0];
    CHECK(new_id.index == old_id.index);            // the slot is reused...
    CHECK(new_id.generation != old_id.generation);  // ...under a new name
    expect_refused(d, ev::handler_returned{old_id, core::outcome::error},
                   event_error::stale_connection);
    expect_refused(d, ev::socket_closed{old_id}, event_error::stale_connection);
    expect_refused(d, ev::bytes_buffered{old_id, 1}, event_error::stale_connection);
    expect_refused(d, ev::bytes_flushed{old_id, 0}, event_error::stale_connection);
    expect_refused(d, ev::write_failed{old_id, EIO}, event_error::stale_connection);
    CHECK(d.server().is_live(new_id));
    CHECK_FALSE(d.server().is_live(old_id));
}

TEST_CASE("A handler event for a handler that is not running is refused") {
    SUBCASE("the handler already returned") {
        core_driver d(options_with(4), core::connection_form::reader_writer);
        const auto ids = admit(d, {1});
        REQUIRE(d.write(ids[0], 10));
        REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == event_error::none);
        expect_refused(d, ev::handler_returned{ids[0], core::outcome::error},
                       event_error::handler_not_running);
        // Only a running handler writes; the kernel may still flush and fail.
        expect_refused(d, ev::bytes_buffered{ids[0], 1}, event_error::handler_not_running);
        CHECK(d.flush(ids[0], 4) == event_error::none);
    }
    SUBCASE("the handler has not been started yet") {
        core_driver d(options_with(4), core::connection_form::reader_writer);
        REQUIRE(d.feed(ev::listener_readable{}) == event_error::none);
        REQUIRE(d.feed(ev::socket_accepted{1}) == event_error::none);
        REQUIRE(d.server().handle(ev::batch_done{}, d.now_ns()) == event_error::none);
        const core::connection_id id{0, 1};
        REQUIRE(d.server().is_live(id));
        // Not through expect_refused: start_handler is still pending, so poll is not idle.
        const std::string before = json_of(d.server());
        CHECK(d.server().handle(ev::handler_returned{id, core::outcome::ok}, d.now_ns()) ==
              event_error::handler_not_running);
        CHECK(d.server().handle(ev::bytes_buffered{id, 1}, d.now_ns()) ==
              event_error::handler_not_running);
        CHECK(d.server().handle(ev::bytes_flushed{id, 0}, d.now_ns()) ==
              event_error::handler_not_running);
        CHECK(d.server().handle(ev::write_failed{id, EPIPE}, d.now_ns()) ==
              event_error::handler_not_running);
        CHECK(json_of(d.server()) == before);
    }
    SUBCASE("the handler never started because the server closed") {
        core_driver d(options_with(4), core::connection_form::reader_writer);
        REQUIRE(d.feed(ev::listener_readable{}) == event_error::none);
        REQUIRE(d.feed(ev::socket_accepted{1}) == event_error::none);
        REQUIRE(d.server().handle(ev::batch_done{}, d.now_ns()) == event_error::none);
        REQUIRE(d.feed(ev::close_requested{}) == event_error::none);
        const core::connection_id id{0, 1};
        expect_refused(d, ev::handler_returned{id, core::outcome::ok},
                       event_error::handler_not_running);
        expect_refused(d, ev::write_failed{id, EIO}, event_error::handler_not_running);
        expect_refused(d, ev::bytes_flushed{id, 0}, event_error::handler_not_running);
    }
}

TEST_CASE("socket_closed without an outstanding close_socket is refused") {
    core_driver d(options_with(4), core::connection_form::reader_writer);
    const auto ids = admit(d, {1});
    expect_refused(d, ev::socket_closed{ids[0]}, event_error::socket_close_not_requested);
    REQUIRE(d.write_fails(ids[0], EPIPE) == event_error::none);
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == event_error::none);
    // Closed once; the handler still runs, so the id is live, but a second close is not.
    expect_refused(d, ev::socket_closed{ids[0]}, event_error::socket_close_not_requested);
}

TEST_CASE("listener_closed without an outstanding close_listener is refused") {
    core_driver d(options_with(4));
    expect_refused(d, ev::listener_closed{}, event_error::listener_close_not_requested);
    REQUIRE(d.feed(ev::close_requested{}) == event_error::none);
    REQUIRE(d.feed(ev::listener_closed{}) == event_error::none);
    expect_refused(d, ev::listener_closed{}, event_error::listener_close_not_requested);
}

TEST_CASE("A listener close asked for during a batch is not outstanding until batch_done") {
    core_driver d(options_with(4));
    REQUIRE(d.feed(ev::listener_readable{}) == event_error::none);
    REQUIRE(d.feed(ev::close_requested{}) == event_error::none);
    expect_refused(d, ev::listener_closed{}, event_error::listener_close_not_requested);
}

TEST_CASE("Every event error has a sentence") {
    for (int e = 0; e <= static_cast<int>(event_error::negative_drain_timeout); ++e) {
        const std::string text = core::to_string(static_cast<event_error>(e));
        CAPTURE(e);
        CHECK(text.size() > 5);
        CHECK(text != "unknown event error");
    }
}
