// SEMANTICS.md section 7: when a reader_writer connection's handler ends by itself,
// its writer flushes what it holds for at most final_flush_timeout, and only then
// is the socket closed: close_socket comes after the last bytes_flushed, or when
// the timeout passes.
#include <cerrno>
#include <string>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

TEST_CASE("A handler's end closes its socket only after the writer's last bytes_flushed") {
    core_driver d(writer_options(), reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write(ids[0], 300));
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::error}) == core::event_error::none);
    CHECK(describe(d.take()).empty());  // flushing, the socket stays open
    CHECK(d.server().writer_of(ids[0])->status() == core::writer_status::final_flush);
    CHECK(text_of(d.server()).find("0.1 flushing") != std::string::npos);

    REQUIRE(d.flush(ids[0], 100) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    REQUIRE(d.flush(ids[0], 200) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1)");
    CHECK(d.server().writer_of(ids[0])->status() == core::writer_status::ready_to_close);
    CHECK_FALSE(d.server().writer_of(ids[0])->final_flush_timed_out());

    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    const auto as = d.take();
    CHECK(describe(as) == "release_connection(0.1, call)");
    CHECK(releases_of(as)[0].result == core::outcome::error);  // the handler's own result
}

TEST_CASE("The final flush closes the socket at final_flush_timeout with bytes still held") {
    core::options o = writer_options();
    o.buffer_age_limit_ns = core::unlimited_age_ns;
    o.final_flush_timeout_ns = 5 * core::ns_per_s;
    core_driver d(o, reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write(ids[0], 300));
    d.set_now_ns(core::ns_per_s);
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    CHECK(d.deadline_ns() == 6 * core::ns_per_s);  // the handler's end + the timeout
    REQUIRE(d.flush(ids[0], 100) == core::event_error::none);
    static_cast<void>(d.take());

    REQUIRE(d.advance(d.deadline_ns() - 1 - d.now_ns()) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    REQUIRE(d.advance(1) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1)");
    const core::writer_tracker* w = d.server().writer_of(ids[0]);
    CHECK(w->status() == core::writer_status::ready_to_close);
    CHECK(w->final_flush_timed_out());
    CHECK(w->bytes_waiting() == 0);  // the 200 bytes left are dropped with the socket
    CHECK(d.server().stats().writer_failures == 0);  // running out of time is no failure

    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    CHECK(describe(d.take()) == "release_connection(0.1, none)");
}

TEST_CASE("A writer holding nothing closes its socket as soon as the handler ends") {
    core_driver d(writer_options(), reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write(ids[0], 300));
    REQUIRE(d.flush(ids[0], 300) == core::event_error::none);
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1)");
}

TEST_CASE("A final_flush_timeout of zero closes the socket as soon as the handler ends") {
    core::options o = writer_options();
    o.final_flush_timeout_ns = 0;
    core_driver d(o, reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write(ids[0], 300));
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1)");
    CHECK(d.server().writer_of(ids[0])->final_flush_timed_out());
}

TEST_CASE(
    "The age limit still fails a writer in its final flush, and the handler's result stands") {
    core_driver d(writer_options(4, core::error_policy::call), reader_writer);  // age limit 10 s
    const auto ids = admit(d, {1});
    REQUIRE(d.write(ids[0], 300));
    d.set_now_ns(5 * core::ns_per_s);
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    CHECK(d.deadline_ns() == 10 * core::ns_per_s + 1);  // earlier than the flush's 35 s
    static_cast<void>(d.take());
    REQUIRE(d.advance(d.deadline_ns() - d.now_ns()) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1)");
    CHECK(d.server().writer_of(ids[0])->status() == core::writer_status::too_old);
    CHECK(d.server().stats().writer_failures == 1);
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    const auto releases = releases_of(d.take());
    REQUIRE(releases.size() == 1);
    CHECK(releases[0].result == core::outcome::ok);
    CHECK(releases[0].decided_by == core::result_source::handler);
    CHECK(releases[0].writer.status == core::writer_status::open);  // nothing attached
}

TEST_CASE(
    "A write failing during the final flush closes at once, and the handler's result stands") {
    for (const int e : {EPIPE, EIO}) {
        CAPTURE(e);
        core_driver d(writer_options(), reader_writer);
        const auto ids = admit(d, {1});
        REQUIRE(d.write(ids[0], 300));
        REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
        CHECK(describe(d.take()).empty());
        REQUIRE(d.write_fails(ids[0], e) == core::event_error::none);
        CHECK(describe(d.take()) == "close_socket(0.1)");
        REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
        CHECK(describe(d.take()) == "release_connection(0.1, none)");
        CHECK(d.server().stats().writer_failures == (e == EIO ? 1U : 0U));
    }
}
