// SEMANTICS.md section 5.2, the first result wins: release_connection says which
// source decided it (the handler's own end, or the writer), and when the writer
// decided an error, why (writer_failure); the driver keeps the handler's own error
// itself, so nothing is attached then.
#include <cerrno>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

TEST_CASE("A release says the handler decided when its end came first") {
    for (const auto form : {core::connection_form::socket, core::connection_form::reader_writer}) {
        CAPTURE(core::to_string(form));
        core_driver d(writer_options(), form);
        const auto ids = admit(d, {1});
        const auto releases = releases_of(finish(d, ids[0], core::outcome::error));
        REQUIRE(releases.size() == 1);
        CHECK(releases[0].decided_by == core::result_source::handler);
        CHECK(releases[0].result == core::outcome::error);
        CHECK(releases[0].writer.status == core::writer_status::open);
    }
}

TEST_CASE("A release says the writer decided, and why, when the writer failed first") {
    const struct {
        const char* name;
        core::writer_status status;
    } cases[] = {{"too old", core::writer_status::too_old},
                 {"too full", core::writer_status::too_full},
                 {"failed", core::writer_status::failed}};
    for (const auto& c : cases) {
        CAPTURE(c.name);
        core_driver d(writer_options(), reader_writer);
        const auto ids = admit(d, {1});
        REQUIRE(d.write(ids[0], 10));
        switch (c.status) {
            case core::writer_status::too_old:
                REQUIRE(d.advance(11 * core::ns_per_s) == core::event_error::none);
                break;
            case core::writer_status::too_full: CHECK_FALSE(d.write(ids[0], 2000)); break;
            default: REQUIRE(d.write_fails(ids[0], ENOSPC) == core::event_error::none); break;
        }
        REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
        REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
        const auto releases = releases_of(d.take());
        REQUIRE(releases.size() == 1);
        CHECK(releases[0].decided_by == core::result_source::writer);
        CHECK(releases[0].result == core::outcome::error);
        CHECK(releases[0].writer.status == c.status);
    }
}

TEST_CASE("A writer that found the peer gone decides an ok result with nothing attached") {
    core_driver d(writer_options(), reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write_fails(ids[0], ECONNRESET) == core::event_error::none);
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::error}) == core::event_error::none);
    const auto releases = releases_of(d.take());
    REQUIRE(releases.size() == 1);
    CHECK(releases[0].decided_by == core::result_source::writer);
    CHECK(releases[0].result == core::outcome::ok);
    CHECK(releases[0].writer.status == core::writer_status::open);
}

TEST_CASE("A writer failing after the handler's end does not take the decision") {
    core_driver d(writer_options(), reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write(ids[0], 10));
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    REQUIRE(d.write_fails(ids[0], EIO) == core::event_error::none);
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    const auto releases = releases_of(d.take());
    REQUIRE(releases.size() == 1);
    CHECK(releases[0].decided_by == core::result_source::handler);
    CHECK(releases[0].result == core::outcome::ok);
    CHECK(releases[0].policy == core::policy_action::none);
    CHECK(d.server().stats().writer_failures == 1);
}
