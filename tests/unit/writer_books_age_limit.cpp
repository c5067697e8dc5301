// SEMANTICS.md section 7, buffer_age_limit, as the core keeps each reader_writer
// connection's books: the oldest unflushed byte's deadline rides on the core's one
// timer (idle.deadline_ns), and a timer_fired past it fails the connection.
#include <cerrno>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

namespace {

constexpr core::time_ns limit_ns = 10 * core::ns_per_s;

}  // namespace

TEST_CASE("A writer's age limit arms the core's timer and a timer_fired past it fails the writer") {
    core_driver d(writer_options(), reader_writer);
    const auto ids = admit(d, {1});
    CHECK(d.deadline_ns() == core::no_deadline_ns);  // nothing waits yet
    REQUIRE(d.write(ids[0], 100));
    CHECK(d.deadline_ns() == limit_ns + 1);  // the first moment the age exceeds the limit
    static_cast<void>(d.take());

    // Exactly the limit: not older than it.
    REQUIRE(d.advance(limit_ns) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    CHECK(d.server().writer_of(ids[0])->status() == core::writer_status::open);

    REQUIRE(d.advance(1) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1)");  // at once: nothing more is flushed
    CHECK(d.server().writer_of(ids[0])->status() == core::writer_status::too_old);
    CHECK(d.server().stats().writer_failures == 1);
    CHECK(d.deadline_ns() == core::no_deadline_ns);

    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    const auto as = d.take();
    CHECK(describe(as) == "notice(late_handler_result), release_connection(0.1, call, by writer)");
    const auto releases = releases_of(as);
    REQUIRE(releases.size() == 1);
    CHECK(releases[0].result == core::outcome::error);
    CHECK(releases[0].writer.status == core::writer_status::too_old);
    CHECK(releases[0].writer.age_ns == limit_ns + 1);
    CHECK(releases[0].writer.bytes_held == 100);
    CHECK(releases[0].writer.limit_ns == limit_ns);
}

TEST_CASE("Flushing everything before the age limit restarts the clock") {
    core_driver d(writer_options(), reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write(ids[0], 100));
    d.set_now_ns(9 * core::ns_per_s);
    REQUIRE(d.flush(ids[0], 100) == core::event_error::none);
    // The timer stays where it was (moving it per flush is not worth it); when it
    // fires, the writer is found empty and the connection goes on.
    CHECK(d.deadline_ns() == limit_ns + 1);
    static_cast<void>(d.take());
    REQUIRE(d.advance(limit_ns + 1 - d.now_ns()) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    CHECK(d.deadline_ns() == core::no_deadline_ns);
    CHECK(d.server().writer_of(ids[0])->status() == core::writer_status::open);

    // The next write starts a new clock.
    d.set_now_ns(12 * core::ns_per_s);
    REQUIRE(d.write(ids[0], 50));
    CHECK(d.deadline_ns() == 12 * core::ns_per_s + limit_ns + 1);
    REQUIRE(d.advance(limit_ns) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    REQUIRE(d.advance(1) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1)");
    CHECK(d.server().stats().writer_failures == 1);
}

TEST_CASE("A partial flush keeps the core's timer on the oldest byte still waiting") {
    core_driver d(writer_options(), reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write(ids[0], 100));
    d.set_now_ns(6 * core::ns_per_s);
    REQUIRE(d.write(ids[0], 100));
    d.set_now_ns(7 * core::ns_per_s);
    REQUIRE(d.flush(ids[0], 150) ==
            core::event_error::none);  // all of the first write, half of the second
    static_cast<void>(d.take());

    // The first write's deadline comes and finds only bytes of the second waiting:
    // the timer moves on to the second's deadline.
    REQUIRE(d.advance(limit_ns + 1 - d.now_ns()) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    CHECK(d.deadline_ns() == 6 * core::ns_per_s + limit_ns + 1);
    REQUIRE(d.advance(d.deadline_ns() - 1 - d.now_ns()) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    REQUIRE(d.advance(1) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1)");
    CHECK(d.server().writer_of(ids[0])->failure().bytes_held == 50);
}

TEST_CASE("The core's one timer is the earliest of its writers' deadlines") {
    core_driver d(writer_options(), reader_writer);
    static_cast<void>(d.take());
    d.accept({1});
    d.accept({2});
    d.accept({3});
    const auto ids = started_ids(d.take());
    REQUIRE(ids.size() == 3);
    d.set_now_ns(3 * core::ns_per_s);
    REQUIRE(d.write(ids[1], 1));
    d.set_now_ns(4 * core::ns_per_s);
    REQUIRE(d.write(ids[0], 1));
    REQUIRE(d.write(ids[2], 1));
    CHECK(d.deadline_ns() == 3 * core::ns_per_s + limit_ns + 1);
    static_cast<void>(d.take());

    REQUIRE(d.advance(d.deadline_ns() - d.now_ns()) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(" + id_text(ids[1]) + ")");
    // The two writers due at the same time are both failed by one timer, in slot order.
    CHECK(d.deadline_ns() == 4 * core::ns_per_s + limit_ns + 1);
    REQUIRE(d.advance(d.deadline_ns() - d.now_ns()) == core::event_error::none);
    CHECK(describe(d.take()) ==
          "close_socket(" + id_text(ids[0]) + "), close_socket(" + id_text(ids[2]) + ")");
    CHECK(d.server().stats().writer_failures == 3);
}

TEST_CASE("Time is judged before the event: a handler returning past its writer's limit is late") {
    core_driver d(writer_options(4, core::error_policy::ignore), reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write(ids[0], 10));
    // The timer has not been reported; the handler's end arrives after the deadline.
    d.set_now_ns(limit_ns + 5);
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1)");
    CHECK(d.server().stats().late_handler_results == 1);
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    CHECK(describe(d.take()) ==
          "notice(late_handler_result), release_connection(0.1, ignore, by writer)");
}

TEST_CASE("An unlimited age limit arms no timer for the writer") {
    core::options o = writer_options();
    o.buffer_age_limit_ns = core::unlimited_age_ns;
    core_driver d(o, reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write(ids[0], 100));
    CHECK(d.deadline_ns() == core::no_deadline_ns);
    REQUIRE(d.advance(24 * 3600 * core::ns_per_s) == core::event_error::none);
    CHECK(d.server().writer_of(ids[0])->status() == core::writer_status::open);
    CHECK(d.held(ids[0]) == 100);
}
