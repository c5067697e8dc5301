// The event errors of the writer's books, the shed reserve and the relative drain:
// each refuses the event it names, and a refused event changes nothing.
#include <cerrno>
#include <limits>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;
using core::event_error;

TEST_CASE("A writer event on a server of the socket form is refused: it keeps no writer") {
    core_driver d(options_with(4));
    const auto ids = admit(d, {1});
    // Whatever the id says: the form is checked first.
    for (const core::connection_id id :
         {ids[0], core::connection_id{}, core::connection_id{9, 9}}) {
        CAPTURE(id_text(id));
        expect_refused(d, ev::bytes_buffered{id, 10}, event_error::no_writer);
        expect_refused(d, ev::bytes_flushed{id, 0}, event_error::no_writer);
        expect_refused(d, ev::write_failed{id, EPIPE}, event_error::no_writer);
    }
    CHECK(d.server().writer_of(ids[0]) == nullptr);
}

TEST_CASE("A flush of more bytes than the writer holds is refused while the writer flushes") {
    core_driver d(writer_options(), reader_writer);
    const auto ids = admit(d, {1});
    expect_refused(d, ev::bytes_flushed{ids[0], 1}, event_error::flushed_more_than_buffered);
    REQUIRE(d.write(ids[0], 100));
    expect_refused(d, ev::bytes_flushed{ids[0], 101}, event_error::flushed_more_than_buffered);
    REQUIRE(d.flush(ids[0], 60) == event_error::none);
    expect_refused(d, ev::bytes_flushed{ids[0], 41}, event_error::flushed_more_than_buffered);
    // During the final flush too.
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == event_error::none);
    expect_refused(d, ev::bytes_flushed{ids[0], 41}, event_error::flushed_more_than_buffered);
    CHECK(d.held(ids[0]) == 40);
    // Once the writer stopped, the kernel's late reports are accepted, whatever they say.
    REQUIRE(d.write_fails(ids[0], EPIPE) == event_error::none);
    CHECK(d.flush(ids[0], 1'000'000) == event_error::none);
}

TEST_CASE("reserve_held without an outstanding hold_reserve is refused") {
    SUBCASE("the reserve is already held") {
        core::options o = options_with(4);
        o.on_accept_exhaustion = core::exhaustion_mode::shed;
        core_driver d(o);
        REQUIRE(d.server().reserve() == core::reserve_state::held);
        expect_refused(d, ev::reserve_held{true}, event_error::reserve_not_requested);
        expect_refused(d, ev::reserve_held{false}, event_error::reserve_not_requested);
    }
    SUBCASE("the server backs off and keeps no reserve") {
        core_driver d(options_with(4));
        expect_refused(d, ev::reserve_held{true}, event_error::reserve_not_requested);
    }
    SUBCASE("the hold was answered already") {
        core::options o = options_with(4);
        o.on_accept_exhaustion = core::exhaustion_mode::shed;
        core_driver d(o, core::connection_form::socket, core_driver::reserve_answer::leave);
        REQUIRE(d.feed(ev::reserve_held{false}) == event_error::none);
        expect_refused(d, ev::reserve_held{true}, event_error::reserve_not_requested);
    }
}

TEST_CASE("close_requested with a negative drain timeout is refused") {
    core_driver d(options_with(4));
    expect_refused(d, ev::close_requested{false, -1}, event_error::negative_drain_timeout);
    expect_refused(d, ev::close_requested{true, std::numeric_limits<core::time_ns>::min()},
                   event_error::negative_drain_timeout);
    CHECK_FALSE(d.server().is_closed());
    CHECK(d.feed(ev::close_requested{false, 0}) == event_error::none);
}
