// docs/architecture.md, rule 3: a driver may report an event while it executes an
// action, before it polls again. A close that arrives between listener_readable
// and the poll that would hand out accept_batch must cancel that step: no batch
// starts on a closed server (SEMANTICS.md section 8), and the close proceeds.
//
// Every test driver polls after each event, so this drives core::server itself.
#include <cerrno>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

namespace {

// Polls until idle (at most `limit` actions) and returns what came out.
std::vector<core::action> poll_all(core::server& s, int limit = 100) {
    std::vector<core::action> out;
    for (int i = 0; i < limit; ++i) {
        core::action a = s.poll();
        if (std::holds_alternative<core::actions::idle>(a)) return out;
        out.push_back(a);
    }
    FAIL("the core did not become idle");
    return out;
}

// `shed`: the step is the shed batch that follows an accept that ran out, so the
// reserve is held and due for release when the close arrives.
void close_between_readable_and_poll(bool shed) {
    core::options o = options_with(4, 2);
    if (shed) o.on_accept_exhaustion = core::exhaustion_mode::shed;
    core::server s(o);
    core::time_ns now_ns = 0;
    if (shed) {
        CHECK(describe(poll_all(s)) == "hold_reserve");
        REQUIRE(s.handle(ev::reserve_held{true}, now_ns) == core::event_error::none);
        CHECK(describe(poll_all(s)) == "wait_readable");
        REQUIRE(s.handle(ev::listener_readable{}, ++now_ns) == core::event_error::none);
        CHECK(describe(poll_all(s)) == "accept_batch(2)");
        REQUIRE(s.handle(ev::accept_failed{EMFILE}, now_ns) == core::event_error::none);
        REQUIRE(s.handle(ev::batch_done{}, now_ns) == core::event_error::none);
        CHECK(describe(poll_all(s)) == "notice(accept_resources_exhausted), wait_readable");
    } else {
        CHECK(describe(poll_all(s)) == "wait_readable");
    }

    REQUIRE(s.handle(ev::listener_readable{}, ++now_ns) == core::event_error::none);
    REQUIRE(s.accept_step() == core::accept_phase::readable);
    // No poll in between: the close comes while the driver still executes what
    // reported readability.
    REQUIRE(s.handle(ev::close_requested{}, ++now_ns) == core::event_error::none);
    CHECK(s.accept_step() == core::accept_phase::idle);
    CHECK(invariant_breach(s) == "");

    // The listener closes and the reserve goes back; no batch, shed or not, starts.
    CHECK(describe(poll_all(s)) == (shed ? "close_listener, release_reserve" : "close_listener"));
    CHECK_FALSE(s.accept_batch_wants_more());
    CHECK(s.reserve() == core::reserve_state::unused);
    CHECK(s.handle(ev::socket_accepted{7}, now_ns) == core::event_error::accept_not_requested);
    CHECK(s.handle(ev::socket_shed{}, now_ns) == core::event_error::accept_not_requested);
    REQUIRE(s.handle(ev::listener_closed{}, ++now_ns) == core::event_error::none);
    CHECK(describe(poll_all(s)) == "complete_close, complete_handlers_finished");
    CHECK(s.stats().accepted == 0);
    CHECK(s.invariant());
}

}  // namespace

TEST_CASE("close_requested between listener_readable and the next poll cancels the accept step") {
    SUBCASE("back-off mode") {
        close_between_readable_and_poll(false);
    }
    SUBCASE("shed mode, with the reserve held") {
        close_between_readable_and_poll(true);
    }
}
