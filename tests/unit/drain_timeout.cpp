// close_requested's drain_timeout_ns is relative: the drain's deadline is the
// close's time plus the timeout, computed without overflow (a timeout too large
// to add means no deadline), and a negative timeout is refused.
#include <cstdint>
#include <limits>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

TEST_CASE("The drain's deadline is the close's time plus its timeout") {
    core_driver d(options_with(4));
    static_cast<void>(admit(d, {1}));
    d.set_now_ns(5 * core::ns_per_s);
    REQUIRE(d.feed(ev::close_requested{false, 10 * core::ns_per_s}) == core::event_error::none);
    CHECK(d.deadline_ns() == 15 * core::ns_per_s);
    static_cast<void>(d.take());
    REQUIRE(d.advance(10 * core::ns_per_s - 1) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    REQUIRE(d.advance(1) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1), notice(drain_deadline_reached)");
}

TEST_CASE("A later close's timeout counts from its own time, and only an earlier deadline wins") {
    core_driver d(options_with(4));
    static_cast<void>(admit(d, {1}));
    REQUIRE(d.feed(ev::close_requested{false, 10 * core::ns_per_s}) == core::event_error::none);
    CHECK(d.deadline_ns() == 10 * core::ns_per_s);
    d.set_now_ns(3 * core::ns_per_s);
    REQUIRE(d.feed(ev::close_requested{false, 5 * core::ns_per_s}) == core::event_error::none);
    CHECK(d.deadline_ns() == 8 * core::ns_per_s);  // 3 s + 5 s, earlier than 10 s
    d.set_now_ns(4 * core::ns_per_s);
    REQUIRE(d.feed(ev::close_requested{false, 5 * core::ns_per_s}) == core::event_error::none);
    CHECK(d.deadline_ns() == 8 * core::ns_per_s);  // 9 s would be later
    REQUIRE(d.feed(ev::close_requested{false}) == core::event_error::none);
    CHECK(d.deadline_ns() == 8 * core::ns_per_s);  // no timeout changes nothing
}

TEST_CASE("A drain timeout too large to add to the close's time means no deadline") {
    constexpr core::time_ns max = std::numeric_limits<core::time_ns>::max();
    const core::time_ns now_ns = 7 * core::ns_per_s;
    SUBCASE("the largest timeout") {
        core_driver d(options_with(4));
        static_cast<void>(admit(d, {1}));
        d.set_now_ns(now_ns);
        REQUIRE(d.feed(ev::close_requested{false, max}) == core::event_error::none);
        CHECK(d.deadline_ns() == core::no_deadline_ns);
    }
    SUBCASE("one past what fits") {
        core_driver d(options_with(4));
        static_cast<void>(admit(d, {1}));
        d.set_now_ns(now_ns);
        REQUIRE(d.feed(ev::close_requested{false, max - now_ns + 1}) == core::event_error::none);
        CHECK(d.deadline_ns() == core::no_deadline_ns);
        CHECK(d.server().invariant());
    }
    SUBCASE("the largest that still gives a deadline") {
        core_driver d(options_with(4));
        static_cast<void>(admit(d, {1}));
        d.set_now_ns(now_ns);
        REQUIRE(d.feed(ev::close_requested{false, max - now_ns - 1}) == core::event_error::none);
        CHECK(d.deadline_ns() == max - 1);
    }
    SUBCASE("a huge timeout at a negative time still adds exactly") {
        core_driver d(options_with(4));
        d.set_now_ns(-now_ns);
        static_cast<void>(admit(d, {1}));
        REQUIRE(d.feed(ev::close_requested{false, max - 1}) == core::event_error::none);
        CHECK(d.deadline_ns() == max - 1 - now_ns);
    }
}

TEST_CASE("A negative drain timeout is refused and changes nothing") {
    core_driver d(options_with(4));
    static_cast<void>(admit(d, {1}));
    for (const core::time_ns timeout_ns :
         {core::time_ns{-1}, -core::ns_per_s, std::numeric_limits<core::time_ns>::min()}) {
        CAPTURE(timeout_ns);
        expect_refused(d, ev::close_requested{false, timeout_ns},
                       core::event_error::negative_drain_timeout);
        expect_refused(d, ev::close_requested{true, timeout_ns},
                       core::event_error::negative_drain_timeout);
    }
    CHECK_FALSE(d.server().is_closed());
}

TEST_CASE("A drain timeout given with close_existing_connections is ignored") {
    core_driver d(options_with(4));
    static_cast<void>(admit(d, {1}));
    REQUIRE(d.feed(ev::close_requested{true, core::ns_per_s}) == core::event_error::none);
    CHECK(describe(d.take()) == "close_listener, close_socket(0.1)");
    CHECK(d.deadline_ns() == core::no_deadline_ns);
    REQUIRE(d.advance(2 * core::ns_per_s) == core::event_error::none);
    CHECK_FALSE(d.saw<core::actions::notice>());
}
