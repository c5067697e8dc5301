// SEMANTICS.md section 4, rules 1 to 3 and 5: when an accept step starts, what it
// is made of, that it re-arms, and when the handlers of a batch start.
#include <cerrno>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

TEST_CASE("A new open server with room starts one accept step: wait_readable") {
    core_driver d(options_with(4));
    CHECK(describe(d.take()) == "wait_readable");
    CHECK(d.server().accept_step() == core::accept_phase::waiting_readable);
    CHECK(d.server().invariant());
}

TEST_CASE("A step is wait_readable then accept_batch, and never two steps are outstanding") {
    core_driver d(options_with(4, 2));
    static_cast<void>(d.take());

    // Nothing new while the wait is outstanding, however often the core is polled.
    CHECK(d.advance(1) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    CHECK(std::holds_alternative<core::actions::idle>(d.server().poll()));

    REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
    CHECK(describe(d.take()) == "accept_batch(2)");
    CHECK(d.server().accept_step() == core::accept_phase::batching);

    // While the batch runs, neither a second wait nor a second batch is handed out,
    // and a second readability report is refused.
    CHECK(d.feed(ev::socket_accepted{7}) == core::event_error::none);
    CHECK(d.advance(1) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    CHECK(d.feed(ev::listener_readable{}) == core::event_error::readable_not_awaited);

    CHECK(d.feed(ev::accept_failed{EAGAIN}) == core::event_error::none);
    CHECK(d.feed(ev::batch_done{}) == core::event_error::none);
    CHECK(describe(d.take()) == "start_handler(0.1), wait_readable");
}

TEST_CASE("The loop re-arms after an empty batch") {
    core_driver d(options_with(4, 3));
    static_cast<void>(d.take());
    CHECK(d.accept({}) == 0);
    CHECK(describe(d.take()) == "accept_batch(3), wait_readable");
    CHECK(d.server().num_connections() == 0);
}

TEST_CASE("The loop re-arms after a dropped batch") {
    core_driver d(options_with(4, 3));
    static_cast<void>(d.take());
    REQUIRE(d.feed(ev::drop_mode_set{true}) == core::event_error::none);
    CHECK(d.accept({7, 8}) == 2);
    CHECK(describe(d.take()) ==
          "accept_batch(3), close_dropped_socket(7), close_dropped_socket(8), wait_readable");
    // And again: a second dropped batch re-arms too.
    CHECK(d.accept({9}) == 1);
    CHECK(describe(d.take()) == "accept_batch(3), close_dropped_socket(9), wait_readable");
}

TEST_CASE("The loop re-arms after every admitted batch") {
    core_driver d(options_with(10, 2));
    static_cast<void>(d.take());
    for (core::socket_handle s = 1; s <= 4; ++s) {
        CHECK(d.accept({s}) == 1);
        const auto as = d.take();
        INFO(describe(as));
        REQUIRE(as.size() == 3);
        CHECK(std::holds_alternative<core::actions::accept_batch>(as[0]));
        CHECK(std::holds_alternative<core::actions::start_handler>(as[1]));
        CHECK(std::holds_alternative<core::actions::wait_readable>(as[2]));
    }
    CHECK(d.server().num_connections() == 4);
}

TEST_CASE("Handlers start only after batch_done, in accept order") {
    core_driver d(options_with(8, 3));
    static_cast<void>(d.take());
    REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
    CHECK(describe(d.take()) == "accept_batch(3)");
    for (const core::socket_handle s : {31U, 12U, 23U}) {
        REQUIRE(d.feed(ev::socket_accepted{s}) == core::event_error::none);
        CHECK(describe(d.take()).empty());
    }
    CHECK(d.server().stats().handlers_started == 0);
    REQUIRE(d.feed(ev::batch_done{}) == core::event_error::none);
    const auto as = d.take();
    CHECK(describe(as) ==
          "start_handler(0.1), start_handler(1.1), start_handler(2.1), wait_readable");
    CHECK(started_sockets(as) == std::vector<core::socket_handle>{31, 12, 23});
    CHECK(d.server().stats().handlers_started == 3);
}

TEST_CASE("No step starts while the server is full, and one starts when a slot frees") {
    core_driver d(options_with(1));
    const auto ids = admit(d, {5});
    REQUIRE(ids.size() == 1);
    CHECK_FALSE(d.waiting_readable());
    CHECK(d.server().accept_step() == core::accept_phase::idle);
    CHECK(d.advance(core::ns_per_s) == core::event_error::none);
    CHECK(describe(d.take()).empty());

    const auto after = finish(d, ids[0]);
    CHECK(describe(after) == "release_connection(0.1, none), wait_readable");
}

TEST_CASE("No step starts after close") {
    core_driver d(options_with(4));
    static_cast<void>(d.take());
    REQUIRE(d.feed(ev::close_requested{}) == core::event_error::none);
    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    CHECK(d.advance(core::ns_per_s) == core::event_error::none);
    const auto as = d.take();
    CHECK(describe(as) == "close_listener, complete_close, complete_handlers_finished");
    CHECK(d.server().accept_step() == core::accept_phase::idle);
}

TEST_CASE("No step starts while an accept back-off is in force") {
    core_driver d(options_with(4));
    static_cast<void>(d.take());
    CHECK(d.accept_results({EMFILE}) == 0);
    CHECK(describe(d.take()) == "accept_batch(1), notice(accept_resources_exhausted)");
    CHECK(d.server().accept_step() == core::accept_phase::idle);
    CHECK(d.deadline_ns() == core::back_off_initial_ns);
    CHECK(d.advance(core::back_off_initial_ns) == core::event_error::none);
    CHECK(describe(d.take()) == "wait_readable");
}
