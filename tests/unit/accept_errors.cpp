// SEMANTICS.md section 6: every accept error is classified once, and each class
// does what the table says to the accept loop.
#include <cerrno>
#include <string>

#include <doctest/doctest.h>

#include "berth/core/accept_error.hpp"
#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;
using core::accept_error_class;

namespace {

std::uint64_t errors_of(core_driver& d, accept_error_class c) {
    return d.server().stats().accept_errors_of(c);
}

// Advances to one nanosecond before `deadline_ns` and checks that no step starts,
// then to the deadline and checks that one does (`expected`: the actions then).
void expect_pause_until(core_driver& d, core::time_ns deadline_ns,
                        const std::string& expected = "wait_readable") {
    CAPTURE(deadline_ns);
    static_cast<void>(d.take());
    REQUIRE(d.deadline_ns() == deadline_ns);
    REQUIRE(d.now_ns() < deadline_ns);
    CHECK(d.advance(deadline_ns - 1 - d.now_ns()) == core::event_error::none);
    CHECK_FALSE(d.saw<core::actions::wait_readable>());
    CHECK_FALSE(d.waiting_readable());
    CHECK(d.deadline_ns() == deadline_ns);
    CHECK(d.advance(1) == core::event_error::none);
    CHECK(describe(d.take()) == expected);
}

}  // namespace

TEST_CASE("Every errno of the table in SEMANTICS.md section 6 is classified as it says") {
    for (const int e : {EAGAIN, EWOULDBLOCK, EINTR}) {
        CAPTURE(e);
        CHECK(core::classify_accept_error(e) == accept_error_class::nothing_there);
    }
    for (const int e : {ECONNABORTED, EPROTO, EPERM, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET,
                        EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH}) {
        CAPTURE(e);
        CHECK(core::classify_accept_error(e) == accept_error_class::per_connection);
    }
    for (const int e : {EMFILE, ENFILE, ENOBUFS, ENOMEM}) {
        CAPTURE(e);
        CHECK(core::classify_accept_error(e) == accept_error_class::out_of_resources);
    }
    // The listed fatal ones, and values nobody listed: unknown means fatal.
    for (const int e : {EBADF, ENOTSOCK, EINVAL, EFAULT, ENOENT, EIO, 0, -1, 99999}) {
        CAPTURE(e);
        CHECK(core::classify_accept_error(e) == accept_error_class::fatal);
    }
    CHECK(std::string(core::to_string(accept_error_class::out_of_resources)) == "out_of_resources");
}

TEST_CASE("nothing_there ends the batch and the loop waits for readability again") {
    for (const int e : {EAGAIN, EINTR}) {
        CAPTURE(e);
        core_driver d(options_with(8, 4));
        static_cast<void>(d.take());
        REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
        REQUIRE(d.feed(ev::socket_accepted{1}) == core::event_error::none);
        REQUIRE(d.feed(ev::accept_failed{e}) == core::event_error::none);
        CHECK_FALSE(d.server().accept_batch_wants_more());
        CHECK(d.feed(ev::socket_accepted{2}) == core::event_error::accept_batch_exhausted);
        REQUIRE(d.feed(ev::batch_done{}) == core::event_error::none);
        CHECK(describe(d.take()) == "accept_batch(4), start_handler(0.1), wait_readable");
        CHECK(errors_of(d, accept_error_class::nothing_there) == 1);
        CHECK(d.server().stats().back_off_pauses == 0);
        CHECK(d.deadline_ns() == core::no_deadline_ns);
    }
}

TEST_CASE("A per-connection error skips that connection, uses an attempt, and keeps accepting") {
    core_driver d(options_with(8, 3));
    static_cast<void>(d.take());
    CHECK(d.accept_results({ECONNABORTED, 0, EPROTO, 0}) == 1);
    // Three attempts, the budget: the fourth result was never asked for.
    CHECK(describe(d.take()) == "accept_batch(3), start_handler(0.1), wait_readable");
    CHECK(errors_of(d, accept_error_class::per_connection) == 2);
    CHECK(d.server().stats().back_off_pauses == 0);
    // No pause: the next step is there at once.
    CHECK(d.accept_results({EPERM, 0, 0}) == 2);
    CHECK(d.server().num_connections() == 3);
}

TEST_CASE("With batch size 1 a per-connection error ends the step and the loop re-arms at once") {
    core_driver d(options_with(8, 1));
    static_cast<void>(d.take());
    CHECK(d.accept_results({ENETUNREACH}) == 0);
    CHECK(describe(d.take()) == "accept_batch(1), wait_readable");
    CHECK(d.deadline_ns() == core::no_deadline_ns);
}

TEST_CASE("Out of resources keeps the sockets already accepted and pauses 5 ms doubling to 1 s") {
    core_driver d(options_with(100, 4));
    static_cast<void>(d.take());
    CHECK(d.accept_results({0, EMFILE}) == 1);
    CHECK(describe(d.take()) ==
          "accept_batch(4), notice(accept_resources_exhausted), start_handler(0.1)");
    CHECK(d.server().num_connections() == 1);
    CHECK(d.server().stats().back_off_pauses == 1);
    CHECK(errors_of(d, accept_error_class::out_of_resources) == 1);

    const core::time_ns expected_ms[] = {5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000};
    core::time_ns paused_at_ns = d.now_ns();
    for (std::size_t i = 0; i < std::size(expected_ms); ++i) {
        CAPTURE(i);
        const core::time_ns deadline_ns = paused_at_ns + expected_ms[i] * core::ns_per_ms;
        CHECK(d.server().back_off_until_ns() == deadline_ns);
        expect_pause_until(d, deadline_ns);
        paused_at_ns = d.now_ns();
        CHECK(d.accept_results({ENFILE}) == 0);
    }
    CHECK(d.server().stats().back_off_pauses == 1 + std::size(expected_ms));
}

TEST_CASE("A successful accept resets the back-off to 5 ms") {
    core_driver d(options_with(100, 2));
    static_cast<void>(d.take());
    CHECK(d.accept_results({ENOBUFS}) == 0);
    expect_pause_until(d, 5 * core::ns_per_ms);
    CHECK(d.accept_results({ENOMEM}) == 0);
    expect_pause_until(d, d.now_ns() + 10 * core::ns_per_ms);

    SUBCASE("in the same batch as the next error") {
        CHECK(d.accept_results({0, EMFILE}) == 1);
        expect_pause_until(d, d.now_ns() + 5 * core::ns_per_ms);
    }
    SUBCASE("in an earlier batch") {
        CHECK(d.accept_results({0, EAGAIN}) == 1);
        static_cast<void>(d.take());
        CHECK(d.accept_results({EMFILE}) == 0);
        expect_pause_until(d, d.now_ns() + 5 * core::ns_per_ms);
    }
}

TEST_CASE("A connection's socket closing ends the back-off early") {
    core_driver d(options_with(8, 1));
    const auto ids = admit(d, {1});
    CHECK(d.accept_results({EMFILE}) == 0);
    CHECK(d.deadline_ns() == d.now_ns() + 5 * core::ns_per_ms);
    d.set_now_ns(d.now_ns() + core::ns_per_ms);
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    CHECK_FALSE(d.saw<core::actions::wait_readable>());
    static_cast<void>(d.take());
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    CHECK(describe(d.take()) == "release_connection(0.1, none), wait_readable");
    CHECK(d.deadline_ns() == core::no_deadline_ns);
}

TEST_CASE("The out-of-resources notice comes at most once a minute") {
    core_driver d(options_with(8, 1));
    static_cast<void>(d.take());
    CHECK(d.accept_results({EMFILE}) == 0);
    const auto first = d.take_of<core::actions::notice>();
    REQUIRE(first.size() == 1);
    CHECK(first[0].kind == core::notice_kind::accept_resources_exhausted);
    CHECK(first[0].error_value == EMFILE);

    // Runs out again and again for just under a minute: no notice.
    for (int i = 0; i < 200 && d.now_ns() < core::notice_interval_ns - 2 * core::ns_per_s; ++i) {
        CHECK(d.advance(d.deadline_ns() - d.now_ns()) == core::event_error::none);
        REQUIRE(d.waiting_readable());
        CHECK(d.accept_results({ENFILE}) == 0);
        CHECK_FALSE(d.saw<core::actions::notice>());
    }
    CHECK(d.now_ns() >= core::notice_interval_ns - 2 * core::ns_per_s);
    CHECK(d.now_ns() < core::notice_interval_ns);

    d.set_now_ns(core::notice_interval_ns);
    CHECK(d.advance(0) == core::event_error::none);
    REQUIRE(d.waiting_readable());
    CHECK(d.accept_results({ENFILE}) == 0);
    const auto again = d.take_of<core::actions::notice>();
    REQUIRE(again.size() == 1);
    CHECK(again[0].error_value == ENFILE);
}

TEST_CASE("A fatal error stops accepting, closes the listener, then raises the error") {
    for (const int e : {EBADF, ENOTSOCK, EINVAL, EFAULT, 4242}) {
        CAPTURE(e);
        core_driver d(options_with(8, 4));
        const auto ids = admit(d, {1});
        REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
        REQUIRE(d.feed(ev::socket_accepted{2}) == core::event_error::none);
        REQUIRE(d.feed(ev::accept_failed{e}) == core::event_error::none);
        CHECK_FALSE(d.server().accept_batch_wants_more());
        CHECK(d.server().is_closed());
        REQUIRE(d.feed(ev::batch_done{}) == core::event_error::none);
        CHECK(describe(d.take()) ==
              "accept_batch(4), close_dropped_socket(2), close_listener, "
              "raise_accept_error(" +
                  std::to_string(e) + ")");
        CHECK(errors_of(d, accept_error_class::fatal) == 1);
        CHECK(d.server().stats().closed_after_close == 1);
        CHECK(d.server().accept_step() == core::accept_phase::idle);

        // The connection already running keeps running.
        CHECK(d.server().is_live(ids[0]));
        REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
        CHECK(describe(d.take()) == "complete_close");
        CHECK(describe(finish(d, ids[0])) ==
              "release_connection(0.1, none), complete_handlers_finished");
    }
}

TEST_CASE("Shed mode closes everything the next batch accepts at once instead of pausing") {
    core::options o = options_with(8, 4);
    o.on_accept_exhaustion = core::exhaustion_mode::shed;
    core_driver d(o);
    static_cast<void>(d.take());
    CHECK(d.accept_results({EMFILE}) == 0);
    CHECK(describe(d.take()) ==
          "accept_batch(4), notice(accept_resources_exhausted), wait_readable");
    CHECK(d.server().stats().back_off_pauses == 0);
    CHECK(d.deadline_ns() == core::no_deadline_ns);

    CHECK(d.accept({1, 2, 3}) == 3);
    // The driver closed each shed socket as it accepted it: none entered the core.
    // The reserve made room for the batch, and is held again after it.
    CHECK(describe(d.take()) ==
          "release_reserve, accept_batch(4, shed), hold_reserve, wait_readable");
    CHECK(d.server().stats().shed == 3);
    CHECK(d.server().stats().dropped == 0);
    CHECK(d.server().num_connections() == 0);

    // The batch after a shed batch is an ordinary one.
    CHECK(d.accept({4}) == 1);
    CHECK(describe(d.take()) == "accept_batch(4), start_handler(0.1), wait_readable");
}

TEST_CASE("A client is shed only when accept has just run out, never because one was shed") {
    core::options o = options_with(8, 2);
    o.on_accept_exhaustion = core::exhaustion_mode::shed;
    core_driver d(o);
    static_cast<void>(d.take());
    CHECK(d.accept_results({EMFILE}) == 0);
    static_cast<void>(d.take());
    // The shed batch uses its whole budget; more clients may be queued.
    CHECK(d.accept({1, 2}) == 2);
    CHECK(describe(d.take()) ==
          "release_reserve, accept_batch(2, shed), hold_reserve, wait_readable");
    CHECK(d.server().stats().shed == 2);
    // Still out of descriptors: the ordinary batch runs out (the notice waits a
    // minute) and the next one sheds.
    CHECK(d.accept_results({EMFILE}) == 0);
    CHECK(describe(d.take()) == "accept_batch(2), wait_readable");
    CHECK(d.accept_results({0, ECONNABORTED}) == 1);
    CHECK(describe(d.take()) ==
          "release_reserve, accept_batch(2, shed), hold_reserve, wait_readable");
    CHECK(d.server().stats().shed == 3);
    // Descriptors came back: the next client is served, not shed.
    CHECK(d.accept({6}) == 1);
    CHECK(describe(d.take()) == "accept_batch(2), start_handler(0.1), wait_readable");
    CHECK(d.server().stats().shed == 3);
}

TEST_CASE("A shed batch that still runs out falls back to back-off") {
    core::options o = options_with(8, 4);
    o.on_accept_exhaustion = core::exhaustion_mode::shed;
    core_driver d(o);
    static_cast<void>(d.take());
    CHECK(d.accept_results({EMFILE}) == 0);
    static_cast<void>(d.take());
    CHECK(d.accept_results({0, EMFILE}) == 1);
    CHECK(describe(d.take()) == "release_reserve, accept_batch(4, shed)");
    CHECK(d.server().stats().shed == 1);
    CHECK(d.server().stats().back_off_pauses == 1);
    // The reserve is held again only when the next step may start.
    expect_pause_until(d, d.now_ns() + 5 * core::ns_per_ms, "hold_reserve, wait_readable");
    // After the pause, an ordinary batch.
    REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
    CHECK(describe(d.take()) == "accept_batch(4)");
}
