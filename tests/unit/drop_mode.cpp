// SEMANTICS.md sections 4.3 and 9: drop mode, set at creation or at run time,
// closes every socket of a batch without a handler and without a slot, and the
// loop keeps going.
#include <cerrno>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

TEST_CASE("A server created in drop mode closes every accepted socket without a handler") {
    core::options o = options_with(4, 2);
    o.drop_incoming_connections = true;
    core_driver d(o);
    CHECK(d.server().is_dropping_incoming_connections());
    CHECK(describe(d.take()) == "wait_readable");
    CHECK(d.accept({5, 6}) == 2);
    CHECK(describe(d.take()) ==
          "accept_batch(2), close_dropped_socket(5), close_dropped_socket(6), wait_readable");
    CHECK(d.server().num_connections() == 0);
    CHECK(d.server().stats().accepted == 2);
    CHECK(d.server().stats().dropped == 2);
    CHECK(d.server().stats().handlers_started == 0);
    CHECK(d.server().invariant());
}

TEST_CASE("Drop mode toggled on, off and on at run time applies to the next batch done") {
    core_driver d(options_with(8));
    static_cast<void>(d.take());

    d.accept({1});
    CHECK(describe(d.take()) == "accept_batch(1), start_handler(0.1), wait_readable");

    REQUIRE(d.feed(ev::drop_mode_set{true}) == core::event_error::none);
    CHECK(d.server().is_dropping_incoming_connections());
    CHECK(describe(d.take()).empty());
    d.accept({2});
    CHECK(describe(d.take()) == "accept_batch(1), close_dropped_socket(2), wait_readable");

    REQUIRE(d.feed(ev::drop_mode_set{false}) == core::event_error::none);
    CHECK_FALSE(d.server().is_dropping_incoming_connections());
    d.accept({3});
    CHECK(describe(d.take()) == "accept_batch(1), start_handler(1.1), wait_readable");

    REQUIRE(d.feed(ev::drop_mode_set{true}) == core::event_error::none);
    d.accept({4});
    CHECK(describe(d.take()) == "accept_batch(1), close_dropped_socket(4), wait_readable");

    CHECK(d.server().num_connections() == 2);
    CHECK(d.server().stats().dropped == 2);
    CHECK(d.server().stats().handlers_started == 2);
    // Connections admitted before drop mode keep running.
    CHECK(d.server().is_live(core::connection_id{0, 1}));
    CHECK(d.server().is_live(core::connection_id{1, 1}));
}

TEST_CASE("Drop mode switched on between readable and batch_done drops that batch") {
    core_driver d(options_with(8, 4));
    static_cast<void>(d.take());
    REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
    REQUIRE(d.feed(ev::socket_accepted{1}) == core::event_error::none);
    REQUIRE(d.feed(ev::drop_mode_set{true}) == core::event_error::none);
    REQUIRE(d.feed(ev::socket_accepted{2}) == core::event_error::none);
    REQUIRE(d.feed(ev::accept_failed{EAGAIN}) == core::event_error::none);
    REQUIRE(d.feed(ev::batch_done{}) == core::event_error::none);
    CHECK(describe(d.take()) ==
          "accept_batch(4), close_dropped_socket(1), close_dropped_socket(2), wait_readable");
    CHECK(d.server().num_connections() == 0);
    CHECK(d.server().stats().dropped == 2);
}

TEST_CASE("Drop mode switched off between readable and batch_done admits that batch") {
    core::options o = options_with(8, 4);
    o.drop_incoming_connections = true;
    core_driver d(o);
    static_cast<void>(d.take());
    REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
    REQUIRE(d.feed(ev::socket_accepted{1}) == core::event_error::none);
    REQUIRE(d.feed(ev::drop_mode_set{false}) == core::event_error::none);
    REQUIRE(d.feed(ev::accept_failed{EAGAIN}) == core::event_error::none);
    REQUIRE(d.feed(ev::batch_done{}) == core::event_error::none);
    CHECK(describe(d.take()) == "accept_batch(4), start_handler(0.1), wait_readable");
    CHECK(d.server().stats().dropped == 0);
}

TEST_CASE("Dropped sockets take no slot") {
    core_driver d(options_with(1, 1));
    static_cast<void>(d.take());
    REQUIRE(d.feed(ev::drop_mode_set{true}) == core::event_error::none);
    for (core::socket_handle s = 1; s <= 5; ++s) {
        REQUIRE(d.waiting_readable());
        CHECK(d.accept({s}) == 1);
        CHECK(d.server().num_connections() == 0);
    }
    CHECK(d.server().stats().dropped == 5);
    CHECK(d.server().stats().times_at_limit == 0);
    // The one slot is still there for the first connection after drop mode.
    REQUIRE(d.feed(ev::drop_mode_set{false}) == core::event_error::none);
    static_cast<void>(d.take());
    d.accept({6});
    CHECK(describe(d.take()) == "accept_batch(1), start_handler(0.1), notice(at_limit)");
}

TEST_CASE("Each dropped socket is closed exactly once") {
    core_driver d(options_with(16, 16));
    static_cast<void>(d.take());
    REQUIRE(d.feed(ev::drop_mode_set{true}) == core::event_error::none);
    std::vector<core::socket_handle> offered;
    for (core::socket_handle s = 100; s < 116; ++s)
        offered.push_back(s);
    CHECK(d.accept(offered) == 16);
    std::vector<core::socket_handle> closed;
    for (const auto& c : d.take_of<core::actions::close_dropped_socket>())
        closed.push_back(c.socket);
    CHECK(closed == offered);
}
