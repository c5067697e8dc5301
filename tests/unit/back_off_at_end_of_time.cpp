// SEMANTICS.md section 6: running out pauses accepting. A pause that would end
// past the largest time there is lasts until no_deadline_ns: now + delay is never
// computed where it would overflow (the core takes any int64 time, and a
// simulator or a test may start its clock anywhere).
#include <cerrno>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

TEST_CASE("A back-off that would end past the end of time lasts until no_deadline_ns") {
    core_driver d(options_with(8));
    const auto ids = admit(d, {1});
    REQUIRE(ids.size() == 1);
    // 1 ms before the end of time: the 5 ms pause cannot be added.
    d.set_now_ns(core::no_deadline_ns - core::ns_per_ms);
    REQUIRE(d.advance(0) == core::event_error::none);
    CHECK(d.accept_results({EMFILE}) == 0);
    CHECK(d.server().back_off_until_ns() == core::no_deadline_ns);
    CHECK(d.deadline_ns() == core::no_deadline_ns);
    CHECK_FALSE(d.waiting_readable());
    CHECK(d.server().stats().back_off_pauses == 1);

    // A descriptor coming back still ends it.
    const auto after = finish(d, ids[0]);
    CHECK(describe(after) == "release_connection(0.1, none), wait_readable");
    CHECK(d.server().back_off_until_ns() == d.now_ns());
    CHECK(d.server().invariant());
}

TEST_CASE("A back-off that ends exactly at the last representable time is not clipped") {
    core_driver d(options_with(8));
    static_cast<void>(d.take());
    d.set_now_ns(core::no_deadline_ns - 5 * core::ns_per_ms);
    REQUIRE(d.advance(0) == core::event_error::none);
    CHECK(d.accept_results({EMFILE}) == 0);
    CHECK(d.server().back_off_until_ns() == core::no_deadline_ns);
    CHECK(d.deadline_ns() == core::no_deadline_ns);
}
