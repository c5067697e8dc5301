// SEMANTICS.md sections 7 and 8: when the server closes a reader_writer connection
// itself (close with close_existing_connections, a drain's deadline), its socket
// closes at once, with no final flush: the writer's bytes are discarded. A close
// that leaves connections alone leaves their final flushes alone too.
#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

TEST_CASE("close_existing_connections closes a flushing writer's socket at once") {
    core_driver d(writer_options(), reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write(ids[0], 300));
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    CHECK(describe(d.take()).empty());  // the final flush is under way

    REQUIRE(d.feed(ev::close_requested{true}) == core::event_error::none);
    CHECK(describe(d.take()) == "close_listener, close_socket(0.1)");
    const core::writer_tracker* w = d.server().writer_of(ids[0]);
    CHECK(w->status() == core::writer_status::discarded);
    CHECK(w->bytes_waiting() == 0);
    CHECK(d.deadline_ns() == core::no_deadline_ns);  // no final flush timer is left
    // What the kernel still reports changes nothing.
    CHECK(d.flush(ids[0], 300) == core::event_error::none);
    CHECK(describe(d.take()).empty());

    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    CHECK(describe(d.take()) ==
          "release_connection(0.1, none), complete_close, complete_handlers_finished");
    CHECK(d.server().stats().writer_failures == 0);
}

TEST_CASE(
    "close_existing_connections discards a running handler's writer: later writes are dropped "
    "quietly and the handler's end decides the result") {
    core_driver d(writer_options(), reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write(ids[0], 300));
    REQUIRE(d.feed(ev::close_requested{true}) == core::event_error::none);
    CHECK(describe(d.take()) == "close_listener, close_socket(0.1)");
    CHECK_FALSE(d.write(ids[0], 10));            // the handler finds its socket closed
    CHECK(d.server().stats().late_writes == 0);  // the result is not decided: not late
    CHECK_FALSE(d.saw<core::actions::notice>());
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::error}) == core::event_error::none);
    const auto releases = releases_of(d.take());
    REQUIRE(releases.size() == 1);
    CHECK(releases[0].result == core::outcome::error);
    CHECK(releases[0].decided_by == core::result_source::handler);
}

TEST_CASE("A drain deadline closes a flushing writer's socket at once") {
    core_driver d(writer_options(), reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write(ids[0], 300));
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    REQUIRE(d.feed(ev::close_requested{false, core::ns_per_s}) == core::event_error::none);
    CHECK(describe(d.take()) == "close_listener");
    CHECK(d.deadline_ns() == core::ns_per_s);  // the drain's, earlier than the writer's
    REQUIRE(d.advance(core::ns_per_s) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1), notice(drain_deadline_reached)");
    CHECK(d.server().writer_of(ids[0])->status() == core::writer_status::discarded);
    CHECK(d.deadline_ns() == core::no_deadline_ns);
}

TEST_CASE("A close that leaves connections alone lets a final flush finish") {
    core_driver d(writer_options(), reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write(ids[0], 300));
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    REQUIRE(d.feed(ev::close_requested{false}) == core::event_error::none);
    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    CHECK(describe(d.take()) == "close_listener, complete_close");
    CHECK(d.server().writer_of(ids[0])->status() == core::writer_status::final_flush);
    REQUIRE(d.flush(ids[0], 300) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1)");
}
