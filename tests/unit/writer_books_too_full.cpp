// options::buffer_limit_bytes: a write that would make a reader_writer connection's
// writer hold more than the limit fails the connection (too_full), and the release
// says which write did not fit, what was held, and the limit.
#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

TEST_CASE(
    "A write beyond buffer_limit_bytes is refused and fails the connection, and the release "
    "names the limit, the bytes held and the write refused") {
    core_driver d(writer_options(), reader_writer);  // a limit of 1000 bytes
    const auto ids = admit(d, {1});
    CHECK(d.write(ids[0], 600));
    CHECK(d.write(ids[0], 400));  // exactly the limit
    CHECK(d.held(ids[0]) == 1000);
    CHECK(describe(d.take()).empty());

    CHECK_FALSE(d.write(ids[0], 1));  // not taken: the driver drops it
    CHECK(describe(d.take()) == "close_socket(0.1)");
    const core::writer_tracker* w = d.server().writer_of(ids[0]);
    REQUIRE(w != nullptr);
    CHECK(w->status() == core::writer_status::too_full);
    CHECK(w->bytes_waiting() == 0);  // what waited is dropped with the socket
    CHECK(d.server().stats().writer_failures == 1);

    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    const auto releases = releases_of(d.take());
    REQUIRE(releases.size() == 1);
    CHECK(releases[0].result == core::outcome::error);
    CHECK(releases[0].policy == core::policy_action::call);
    CHECK(releases[0].decided_by == core::result_source::writer);
    CHECK(releases[0].writer.status == core::writer_status::too_full);
    CHECK(releases[0].writer.limit_bytes == 1000);
    CHECK(releases[0].writer.bytes_held == 1000);
    CHECK(releases[0].writer.bytes_refused == 1);
}

TEST_CASE("Flushed bytes make room under the buffer limit again") {
    core_driver d(writer_options(), reader_writer);
    const auto ids = admit(d, {1});
    CHECK(d.write(ids[0], 1000));
    REQUIRE(d.flush(ids[0], 300) == core::event_error::none);
    CHECK(d.write(ids[0], 300));
    CHECK(d.held(ids[0]) == 1000);
    CHECK_FALSE(d.write(ids[0], 1));
    CHECK(d.server().writer_of(ids[0])->failure().bytes_held == 1000);
}

TEST_CASE("A single write larger than the whole limit fails an empty writer") {
    core_driver d(writer_options(), reader_writer);
    const auto ids = admit(d, {1});
    CHECK_FALSE(d.write(ids[0], 1001));
    CHECK(describe(d.take()) == "close_socket(0.1)");
    const core::writer_failure& f = d.server().writer_of(ids[0])->failure();
    CHECK(f.bytes_held == 0);
    CHECK(f.bytes_refused == 1001);
}

TEST_CASE("With unlimited_bytes no write is too full") {
    core::options o = writer_options();
    o.buffer_limit_bytes = core::unlimited_bytes;
    core_driver d(o, reader_writer);
    const auto ids = admit(d, {1});
    CHECK(d.write(ids[0], std::uint64_t{1} << 40));
    CHECK(d.write(ids[0], std::uint64_t{1} << 40));
    CHECK(d.held(ids[0]) == std::uint64_t{1} << 41);
    CHECK(d.server().stats().writer_failures == 0);
    CHECK(describe(d.take()).empty());
}

TEST_CASE("A write of zero bytes is taken and arms no timer") {
    core_driver d(writer_options(), reader_writer);
    const auto ids = admit(d, {1});
    CHECK(d.write(ids[0], 0));
    CHECK(d.held(ids[0]) == 0);
    CHECK(d.deadline_ns() == core::no_deadline_ns);
    CHECK(describe(d.take()).empty());
}
