// SEMANTICS.md section 5.2: a write after the connection's result was decided is
// dropped, counted in late_writes every time, and noticed once per connection
// (late_write), before the connection's release, while its id still names it.
#include <cerrno>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

TEST_CASE("Late writes are dropped, counted every time, and noticed once per connection") {
    core_driver d(writer_options(), reader_writer);
    static_cast<void>(d.take());
    d.accept({1});
    d.accept({2});
    const auto ids = started_ids(d.take());
    REQUIRE(ids.size() == 2);
    REQUIRE(d.write_fails(ids[0], EIO) == core::event_error::none);
    REQUIRE(d.write_fails(ids[1], EPIPE) == core::event_error::none);
    static_cast<void>(d.take());

    CHECK_FALSE(d.write(ids[0], 10));
    auto as = d.take();
    CHECK(describe(as) == "notice(late_write)");
    REQUIRE(notices_of(as).size() == 1);
    CHECK(notices_of(as)[0].id == ids[0]);
    CHECK(d.server().stats().late_writes == 1);

    CHECK_FALSE(d.write(ids[0], 10));
    CHECK_FALSE(d.write(ids[0], 0));
    CHECK(describe(d.take()).empty());  // counted, not noticed again
    CHECK(d.server().stats().late_writes == 3);
    CHECK(d.held(ids[0]) == 0);

    CHECK_FALSE(d.write(ids[1], 10));  // another connection: its own notice
    as = d.take();
    CHECK(describe(as) == "notice(late_write)");
    CHECK(notices_of(as)[0].id == ids[1]);
    CHECK(d.server().stats().late_writes == 4);
}

TEST_CASE("A late-write notice comes before its connection's release in the same drain") {
    core_driver d(writer_options(), reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write_fails(ids[0], EIO) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1)");
    // While the driver closes the socket, the handler writes once more and returns,
    // and the close completes: all reported before the next poll.
    core::server& s = d.server();
    REQUIRE(s.handle(ev::bytes_buffered{ids[0], 10}, d.now_ns()) == core::event_error::none);
    REQUIRE(s.handle(ev::handler_returned{ids[0], core::outcome::ok}, d.now_ns()) ==
            core::event_error::none);
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    const auto as = d.take();
    CHECK(describe(as) ==
          "notice(late_write), notice(late_handler_result), "
          "release_connection(0.1, call, by writer)");
    for (const auto& n : notices_of(as))
        CHECK(n.id == ids[0]);
}

TEST_CASE("A slot's next connection starts with no late write owed or noticed") {
    core_driver d(writer_options(1), reader_writer);
    auto ids = admit(d, {1});
    REQUIRE(d.write_fails(ids[0], EIO) == core::event_error::none);
    CHECK_FALSE(d.write(ids[0], 1));
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    ids = admit(d, {2});
    REQUIRE(ids.size() == 1);
    CHECK(ids[0].index == 0);  // the same slot
    REQUIRE(d.write_fails(ids[0], EIO) == core::event_error::none);
    static_cast<void>(d.take());
    CHECK_FALSE(d.write(ids[0], 1));
    CHECK(describe(d.take()) == "notice(late_write)");
    CHECK(d.server().stats().late_writes == 2);
}
