// A handler that reports its end more than once (a native completion called
// twice): the driver reports extra_completion, which the core always accepts, even
// for an id that is no longer live or never was, counts in extra_completions and
// notices with the id it was given. Nothing else changes.
#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

TEST_CASE("An extra completion of a live connection is counted and noticed with its id") {
    core_driver d(options_with(4));
    const auto ids = admit(d, {1});
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    static_cast<void>(d.take());

    REQUIRE(d.feed(ev::extra_completion{ids[0]}) == core::event_error::none);
    const auto as = d.take();
    CHECK(describe(as) == "notice(extra_completion)");
    CHECK(notices_of(as)[0].id == ids[0]);
    CHECK(d.server().stats().extra_completions == 1);
    CHECK(d.server().stats().late_handler_results == 0);  // not a second result
    CHECK(d.server().is_live(ids[0]));
    CHECK(d.server().invariant());

    // The connection ends as it would have.
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    CHECK(describe(d.take()) == "release_connection(0.1, none)");
}

TEST_CASE("An extra completion for a released or never issued id is accepted and noticed") {
    core_driver d(options_with(4));
    const auto ids = admit(d, {1});
    static_cast<void>(finish(d, ids[0]));
    for (const core::connection_id id :
         {ids[0], core::connection_id{}, core::connection_id{999, 1}, core::connection_id{0, 7}}) {
        CAPTURE(id_text(id));
        REQUIRE(d.feed(ev::extra_completion{id}) == core::event_error::none);
        const auto as = d.take();
        CHECK(describe(as) == "notice(extra_completion)");
        REQUIRE(notices_of(as).size() == 1);
        CHECK(notices_of(as)[0].id == id);
    }
    CHECK(d.server().stats().extra_completions == 4);
    CHECK(d.server().num_connections() == 0);
    CHECK(d.server().invariant());
}

TEST_CASE("Extra completions reported within one drain are each noticed with their own id") {
    core_driver d(options_with(4, 2));
    static_cast<void>(d.take());
    d.accept({1, 2});
    const auto ids = started_ids(d.take());
    REQUIRE(ids.size() == 2);
    // Two handlers each complete twice while the driver executes one action.
    core::server& s = d.server();
    REQUIRE(s.handle(ev::extra_completion{ids[1]}, d.now_ns()) == core::event_error::none);
    REQUIRE(d.feed(ev::extra_completion{ids[0]}) == core::event_error::none);
    const auto notices = notices_of(d.take());
    REQUIRE(notices.size() == 2);
    CHECK(notices[0].id == ids[1]);
    CHECK(notices[1].id == ids[0]);
}

TEST_CASE(
    "Beyond eight extra completions in one drain the rest are counted, not noticed, and the "
    "next drain notices again") {
    core_driver d(options_with(4));
    core::server& s = d.server();
    for (std::uint32_t i = 1; i <= 12; ++i) {
        REQUIRE(s.handle(ev::extra_completion{core::connection_id{i, 1}}, d.now_ns()) ==
                core::event_error::none);
    }
    REQUIRE(d.feed(ev::timer_fired{}) == core::event_error::none);
    const auto notices = notices_of(d.take());
    REQUIRE(notices.size() == 8);
    for (std::uint32_t i = 0; i < 8; ++i)
        CHECK(notices[i].id == core::connection_id{i + 1, 1});
    CHECK(s.stats().extra_completions == 12);
    REQUIRE(d.feed(ev::extra_completion{core::connection_id{42, 1}}) == core::event_error::none);
    const auto later = notices_of(d.take());
    REQUIRE(later.size() == 1);
    CHECK(later[0].id == core::connection_id{42, 1});
}
