// check_invariant is the tests' and the simulator's oracle: a check that always
// passes would hide every bug it exists for. Each case here breaks exactly one
// thing through the test seam (detail/test_access.hpp) in a state where the check
// matters, and expects check_invariant to name it.
#include <string>

#include <doctest/doctest.h>

#include "berth/core/detail/test_access.hpp"
#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;
using core::detail::test_access;

TEST_CASE("check_invariant catches a count of sockets holding back close that is off by one") {
    core_driver d(options_with(4, 2));
    const auto ids = admit(d, {1, 2});
    REQUIRE(ids.size() == 2);
    // close(true): both sockets hold back the close's completion until they close.
    REQUIRE(d.feed(ev::close_requested{true, core::no_deadline_ns}) == core::event_error::none);
    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    REQUIRE(test_access::held_by_close(d.server()) == 2);
    REQUIRE(invariant_breach(d.server()) == "");

    for (const std::uint32_t held : {1U, 3U}) {
        CAPTURE(held);
        test_access::held_by_close(d.server()) = held;
        CHECK(invariant_breach(d.server()) ==
              "the count of sockets holding back close disagrees with the slots");
    }
}

TEST_CASE("check_invariant catches a handler waiting to start on a closed server") {
    // The batch is admitted but its start not pulled, then the server is marked
    // closed without begin_close's cancelling of the start list.
    core::server s(options_with(4, 2));
    REQUIRE(std::holds_alternative<core::actions::wait_readable>(s.poll()));
    REQUIRE(s.handle(ev::listener_readable{}, 0) == core::event_error::none);
    REQUIRE(std::holds_alternative<core::actions::accept_batch>(s.poll()));
    REQUIRE(s.handle(ev::socket_accepted{1}, 0) == core::event_error::none);
    REQUIRE(s.handle(ev::batch_done{}, 0) == core::event_error::none);
    REQUIRE(invariant_breach(s) == "");

    test_access::closed(s) = true;
    test_access::listener(s) = core::listener_state::close_pending;

    SUBCASE("the slot still waits to start") {
        CHECK(invariant_breach(s) == "a handler is waiting to start after close");
    }
    SUBCASE("the slot's handler runs, but the slot is still on the start list") {
        test_access::slots(s)[0].handler = core::detail::handler_state::running;
        CHECK(invariant_breach(s) == "handlers wait to start after close");
    }
}
