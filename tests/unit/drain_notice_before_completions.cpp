// docs/architecture.md, "The order of actions": notices (6) come before the
// completions (7). When the drain's deadline passes in the same event that reports
// the listener closed, the operator hears "drain deadline reached" before
// complete_close, so a notice hook that logs sees it inside the close, not after.
#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

TEST_CASE("The drain-deadline notice comes before complete_close when both fall due at once") {
    core_driver d(options_with(4, 2));
    const auto ids = admit(d, {1, 2});
    REQUIRE(ids.size() == 2);

    constexpr core::time_ns drain_timeout_ns = 10 * core::ns_per_s;
    REQUIRE(d.feed(ev::close_requested{false, drain_timeout_ns}) == core::event_error::none);
    CHECK(describe(d.take()) == "close_listener");
    CHECK(d.deadline_ns() == drain_timeout_ns);

    // The listener's close is reported late, at the drain's deadline.
    d.set_now_ns(drain_timeout_ns);
    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    CHECK(describe(d.take()) ==
          "close_socket(0.1), close_socket(1.1), notice(drain_deadline_reached), complete_close");

    for (const core::connection_id id : ids) {
        REQUIRE(d.feed(ev::handler_returned{id, core::outcome::ok}) == core::event_error::none);
        REQUIRE(d.feed(ev::socket_closed{id}) == core::event_error::none);
    }
    CHECK(describe(d.take()) ==
          "release_connection(0.1, none), release_connection(1.1, none), "
          "complete_handlers_finished");
    CHECK(d.server().invariant());
}
