// SEMANTICS.md section 6, shed mode: the core decides when the driver holds its
// reserved descriptor (hold_reserve, answered with reserve_held) and when it gives
// it back (release_reserve): held before the first accept step, released right
// before each shed batch and held again after it, a failed hold asked again once
// per accept step, released when the listener closes, and never in back_off mode.
#include <cerrno>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;
using answer = core_driver::reserve_answer;

namespace {

core::options shedding(std::uint32_t max_connections = 8) {
    core::options o = options_with(max_connections, 4);
    o.on_accept_exhaustion = core::exhaustion_mode::shed;
    return o;
}

}  // namespace

TEST_CASE("A shedding server holds its reserve before its first accept step") {
    core_driver d(shedding());
    CHECK(describe(d.take()) == "hold_reserve, wait_readable");
    CHECK(d.server().reserve() == core::reserve_state::held);
}

TEST_CASE("No accept step starts while a hold is outstanding") {
    core_driver d(shedding(), core::connection_form::socket, answer::leave);
    CHECK(describe(d.take()) == "hold_reserve");
    CHECK(d.server().reserve() == core::reserve_state::requested);
    REQUIRE(d.advance(core::ns_per_s) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    CHECK_FALSE(d.waiting_readable());
    REQUIRE(d.feed(ev::reserve_held{true}) == core::event_error::none);
    CHECK(describe(d.take()) == "wait_readable");
}

TEST_CASE("The reserve is released right before a shed batch and held again after it") {
    core_driver d(shedding());
    static_cast<void>(d.take());
    CHECK(d.accept_results({EMFILE}) == 0);
    // Running out changes nothing about the reserve until the shed batch.
    CHECK(describe(d.take()) ==
          "accept_batch(4), notice(accept_resources_exhausted), wait_readable");
    CHECK(d.server().reserve() == core::reserve_state::held);

    REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
    CHECK(describe(d.take()) == "release_reserve, accept_batch(4, shed)");
    CHECK(d.server().reserve() == core::reserve_state::released);
    REQUIRE(d.feed(ev::socket_shed{}) == core::event_error::none);
    REQUIRE(d.feed(ev::accept_failed{EAGAIN}) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    REQUIRE(d.feed(ev::batch_done{}) == core::event_error::none);
    CHECK(describe(d.take()) == "hold_reserve, wait_readable");
    CHECK(d.server().reserve() == core::reserve_state::held);

    // An ordinary batch neither releases nor holds.
    CHECK(d.accept({1}) == 1);
    CHECK(describe(d.take()) == "accept_batch(4), start_handler(0.1), wait_readable");
}

TEST_CASE("A failed hold is asked again once per accept step, until one holds") {
    core_driver d(shedding(), core::connection_form::socket, answer::fail);
    CHECK(describe(d.take()) == "hold_reserve, wait_readable");  // a failed hold does not block
    CHECK(d.server().reserve() == core::reserve_state::missing);
    REQUIRE(d.advance(core::ns_per_s) == core::event_error::none);
    CHECK(describe(d.take()).empty());  // time alone does not ask again

    CHECK(d.accept({1}) == 1);
    CHECK(describe(d.take()) == "accept_batch(4), start_handler(0.1), hold_reserve, wait_readable");
    d.set_reserve_answer(answer::hold);
    CHECK(d.accept({2}) == 1);
    CHECK(describe(d.take()) == "accept_batch(4), start_handler(1.1), hold_reserve, wait_readable");
    CHECK(d.server().reserve() == core::reserve_state::held);
    CHECK(d.accept({3}) == 1);
    CHECK(describe(d.take()) == "accept_batch(4), start_handler(2.1), wait_readable");
}

TEST_CASE("A failed hold is asked again only when an accept step can start") {
    core_driver d(shedding(1), core::connection_form::socket, answer::fail);
    const auto ids = admit(d, {1});  // full now
    CHECK_FALSE(d.saw<core::actions::hold_reserve>());
    CHECK(d.server().reserve() == core::reserve_state::wanted);
    CHECK(describe(finish(d, ids[0])) ==
          "release_connection(0.1, none), hold_reserve, wait_readable");
}

TEST_CASE("A shed batch with no reserve held has nothing to release") {
    core_driver d(shedding(), core::connection_form::socket, answer::fail);
    static_cast<void>(d.take());
    CHECK(d.accept_results({EMFILE}) == 0);
    CHECK(describe(d.take()) ==
          "accept_batch(4), notice(accept_resources_exhausted), hold_reserve, wait_readable");
    REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
    CHECK(describe(d.take()) == "accept_batch(4, shed)");
}

TEST_CASE("Closing the listener releases a held reserve, once") {
    core_driver d(shedding());
    static_cast<void>(d.take());
    REQUIRE(d.feed(ev::close_requested{}) == core::event_error::none);
    CHECK(describe(d.take()) == "close_listener, release_reserve");
    CHECK(d.server().reserve() == core::reserve_state::unused);
    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    REQUIRE(d.feed(ev::close_requested{true}) == core::event_error::none);
    CHECK(describe(d.take()) == "complete_close, complete_handlers_finished");
}

TEST_CASE("A close during a shed batch releases nothing more: the batch used the reserve") {
    core_driver d(shedding());
    static_cast<void>(d.take());
    CHECK(d.accept_results({EMFILE}) == 0);
    REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
    REQUIRE(d.feed(ev::close_requested{}) == core::event_error::none);
    REQUIRE(d.feed(ev::socket_shed{}) == core::event_error::none);
    static_cast<void>(d.take());
    REQUIRE(d.feed(ev::batch_done{}) == core::event_error::none);
    CHECK(describe(d.take()) == "close_listener");
    CHECK(d.server().reserve() == core::reserve_state::unused);
}

TEST_CASE("A hold outstanding at close is waited for, then released if it held") {
    for (const bool held : {true, false}) {
        CAPTURE(held);
        core_driver d(shedding(), core::connection_form::socket, answer::leave);
        static_cast<void>(d.take());
        REQUIRE(d.feed(ev::close_requested{}) == core::event_error::none);
        CHECK(describe(d.take()) == "close_listener");
        CHECK(d.server().reserve() == core::reserve_state::requested);
        REQUIRE(d.feed(ev::reserve_held{held}) == core::event_error::none);
        CHECK(describe(d.take()) == (held ? "release_reserve" : ""));
        CHECK(d.server().reserve() == core::reserve_state::unused);
    }
}

TEST_CASE("A server that backs off never holds or releases a reserve") {
    core::options o = options_with(8, 4);
    core_driver d(o);
    CHECK(describe(d.take()) == "wait_readable");
    for (int i = 0; i < 3; ++i) {
        CHECK(d.accept_results({0, EMFILE}) == 1);
        REQUIRE(d.advance(core::ns_per_s) == core::event_error::none);
    }
    REQUIRE(d.feed(ev::close_requested{true}) == core::event_error::none);
    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    const auto as = d.take();
    for (const core::action& a : as) {
        CHECK_FALSE(std::holds_alternative<core::actions::hold_reserve>(a));
        CHECK_FALSE(std::holds_alternative<core::actions::release_reserve>(a));
    }
    CHECK(d.server().reserve() == core::reserve_state::unused);
    CHECK(d.server().stats().back_off_pauses == 3);
}
