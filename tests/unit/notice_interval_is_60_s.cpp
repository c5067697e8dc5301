// SEMANTICS.md sections 4.4 and 6: the at-limit and out-of-resources notices come
// "at most once a minute". Written with the literal 60 s, not notice_interval_ns,
// so that a change of the constant is a change these tests see.
#include <cerrno>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

namespace {

constexpr core::time_ns one_minute_ns = 60'000'000'000;

}  // namespace

TEST_CASE("notice_interval_ns is one minute") {
    CHECK(core::notice_interval_ns == one_minute_ns);
}

TEST_CASE("The at-limit notice repeats 60 s after the last one, not a nanosecond earlier") {
    core_driver d(options_with(1));
    static_cast<void>(d.take());
    d.accept({1});
    const auto filled = d.take();
    auto ids = started_ids(filled);
    REQUIRE(ids.size() == 1);
    const auto first = notices_of(filled);
    REQUIRE(first.size() == 1);
    CHECK(first[0].kind == core::notice_kind::at_limit);
    CHECK(d.server().stats().times_at_limit == 1);

    // At limit again just under a minute later: counted, not noticed.
    d.set_now_ns(one_minute_ns - 1);
    static_cast<void>(finish(d, ids[0]));
    REQUIRE(d.waiting_readable());
    d.accept({2});
    CHECK(d.server().stats().times_at_limit == 2);
    const auto early = d.take();
    CHECK(notices_of(early).empty());
    ids = started_ids(early);
    REQUIRE(ids.size() == 1);

    // A minute after the first notice: noticed.
    d.set_now_ns(one_minute_ns);
    static_cast<void>(finish(d, ids[0]));
    d.accept({3});
    CHECK(d.server().stats().times_at_limit == 3);
    const auto due = notices_of(d.take());
    REQUIRE(due.size() == 1);
    CHECK(due[0].kind == core::notice_kind::at_limit);
}

TEST_CASE("The out-of-resources notice repeats 60 s after the last one, not a nanosecond earlier") {
    core_driver d(options_with(8));
    // A connection whose close, at the minute, ends the back-off then in force.
    const auto ids = admit(d, {1});
    REQUIRE(ids.size() == 1);
    CHECK(d.accept_results({EMFILE}) == 0);
    const auto first = notices_of(d.take());
    REQUIRE(first.size() == 1);
    CHECK(first[0].kind == core::notice_kind::accept_resources_exhausted);

    // The back-off is over long before; the loop waits for readability.
    d.set_now_ns(one_minute_ns - 1);
    REQUIRE(d.advance(0) == core::event_error::none);
    REQUIRE(d.waiting_readable());
    CHECK(d.accept_results({ENFILE}) == 0);
    CHECK(notices_of(d.take()).empty());
    CHECK(d.server().stats().back_off_pauses == 2);

    d.set_now_ns(one_minute_ns);
    static_cast<void>(finish(d, ids[0]));
    REQUIRE(d.waiting_readable());
    CHECK(d.accept_results({ENOBUFS}) == 0);
    const auto due = notices_of(d.take());
    REQUIRE(due.size() == 1);
    CHECK(due[0].kind == core::notice_kind::accept_resources_exhausted);
    CHECK(due[0].error_value == ENOBUFS);
}
