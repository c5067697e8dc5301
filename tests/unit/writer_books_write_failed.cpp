// SEMANTICS.md section 7: a write failing because the peer went away (EPIPE,
// ECONNRESET, ...) ends a reader_writer connection normally, decided by its
// writer; any other write error is the connection's error, decided by the writer.
// Either way the socket closes at once and what the writer held is dropped.
#include <cerrno>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

namespace {

// A connection whose writer holds 100 bytes when `error_value` comes; returns the
// release once the socket closed and the handler returned.
core::actions::release_connection fail_one_write(int error_value, core::error_policy policy) {
    core_driver d(writer_options(1, policy), reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write(ids[0], 100));
    REQUIRE(d.write_fails(ids[0], error_value) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1)");
    CHECK(d.held(ids[0]) == 0);
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    const auto releases = releases_of(d.take());
    REQUIRE(releases.size() == 1);
    CHECK(d.server().stats().late_handler_results == 1);
    return releases[0];
}

}  // namespace

TEST_CASE("Every peer-gone errno on write ends the connection ok, decided by the writer") {
    for (const int e : {EPIPE, ECONNRESET, ENOTCONN, ESHUTDOWN, ECONNABORTED, ETIMEDOUT}) {
        CAPTURE(e);
        const auto r = fail_one_write(e, core::error_policy::raise);
        CHECK(r.result == core::outcome::ok);
        CHECK(r.policy == core::policy_action::none);  // not an error: raise does not apply
        CHECK(r.decided_by == core::result_source::writer);
        CHECK(r.writer.status == core::writer_status::open);  // no failure to describe
    }
}

TEST_CASE("Any other errno on write ends the connection with an error decided by the writer") {
    for (const int e : {EIO, ENOSPC, EBADF, EINVAL, ENOMEM, EFAULT, 4242}) {
        CAPTURE(e);
        const auto r = fail_one_write(e, core::error_policy::call);
        CHECK(r.result == core::outcome::error);
        CHECK(r.policy == core::policy_action::call);
        CHECK(r.decided_by == core::result_source::writer);
        CHECK(r.writer.status == core::writer_status::failed);
        CHECK(r.writer.error_value == e);
    }
}

TEST_CASE("After a failed write the writer takes nothing more and ignores the kernel") {
    core_driver d(writer_options(), reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write(ids[0], 100));
    REQUIRE(d.write_fails(ids[0], ECONNRESET) == core::event_error::none);
    static_cast<void>(d.take());
    // Flushes and failures the kernel still reports change nothing, whatever they say.
    CHECK(d.flush(ids[0], 5000) == core::event_error::none);
    CHECK(d.write_fails(ids[0], EIO) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    CHECK(d.server().writer_of(ids[0])->status() == core::writer_status::peer_gone);
    CHECK(d.server().stats().writer_failures == 0);
    CHECK_FALSE(d.write(ids[0], 1));
    CHECK(d.server().stats().late_writes == 1);
}
