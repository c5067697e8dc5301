// An id whose index is one past the slot table is unknown, and the core refuses it
// without reading the slot it does not have.
//
// The slot vector reserves its capacity up front, so while the table is not full
// an index one past it still lands in allocated memory: a plain build reads
// garbage and usually refuses the id all the same. The checked build of these
// tests (berth_core_unit_tests_checked, with _GLIBCXX_ASSERTIONS) stops at that
// read; with the table full, the read is past the allocation and ASan stops too.
#include <cerrno>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;
using core::event_error;

namespace {

// Every way an id reaches the slot table: the events that name a connection and
// the two queries. `index` is the table's size.
void expect_unknown_at(core_driver& d, std::uint32_t index) {
    for (const std::uint32_t generation : {1U, 2U, UINT32_MAX}) {
        const core::connection_id id{index, generation};
        CAPTURE(id_text(id));
        CHECK_FALSE(d.server().is_live(id));
        CHECK(d.server().writer_of(id) == nullptr);
        expect_refused(d, ev::handler_returned{id, core::outcome::ok},
                       event_error::unknown_connection);
        expect_refused(d, ev::socket_closed{id}, event_error::unknown_connection);
        expect_refused(d, ev::bytes_buffered{id, 1}, event_error::unknown_connection);
        expect_refused(d, ev::bytes_flushed{id, 0}, event_error::unknown_connection);
        expect_refused(d, ev::write_failed{id, EPIPE}, event_error::unknown_connection);
    }
}

}  // namespace

TEST_CASE("An id one past the slot table is unknown, whether the table is empty, partial or full") {
    constexpr std::uint32_t max_connections = 3;
    core_driver d(options_with(max_connections, max_connections),
                  core::connection_form::reader_writer);
    expect_unknown_at(d, 0);  // no slot yet

    const auto first = admit(d, {1});
    REQUIRE(first.size() == 1);
    expect_unknown_at(d, 1);

    // Full: the table's size is its capacity, so index 3 is past the allocation.
    const auto rest = admit(d, {2, 3});
    REQUIRE(rest.size() == 2);
    REQUIRE(d.server().num_connections() == max_connections);
    expect_unknown_at(d, max_connections);

    // The last slot itself is still found: the bound is exact, not one short.
    CHECK(d.server().is_live(rest[1]));
    CHECK(rest[1].index == max_connections - 1);
    CHECK(d.server().writer_of(rest[1]) != nullptr);
}
