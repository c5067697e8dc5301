// A slot's generation counts its occupants so that an old id never names a new
// occupant; 0 is never a generation, so a default-constructed id is never live.
// After 2^32 - 1 occupants the count wraps to 1, skipping 0. No test can reuse a
// slot that often, so the test seam sets a free slot's generation to the top.
#include <cstdint>

#include <doctest/doctest.h>

#include "berth/core/detail/test_access.hpp"
#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;
using core::detail::test_access;

namespace {

// Admits one connection into the free slot 0 after setting its generation to
// `generation`, and returns its id.
core::connection_id reoccupy_slot_0_after(core_driver& d, std::uint32_t generation) {
    auto& slots = test_access::slots(d.server());
    REQUIRE(slots.size() == 1);
    REQUIRE_FALSE(slots[0].in_use);
    slots[0].generation = generation;
    REQUIRE(d.server().invariant());
    const auto ids = admit(d, {d.next_socket()});
    REQUIRE(ids.size() == 1);
    REQUIRE(ids[0].index == 0);
    return ids[0];
}

}  // namespace

TEST_CASE("A slot's generation wraps from UINT32_MAX to 1, never to 0") {
    core_driver d(options_with(1));
    const auto first = admit(d, {1});
    REQUIRE(first.size() == 1);
    CHECK(first[0].generation == 1);
    static_cast<void>(finish(d, first[0]));

    // Below the top the generation simply counts on.
    const core::connection_id top = reoccupy_slot_0_after(d, UINT32_MAX - 1);
    CHECK(top.generation == UINT32_MAX);
    CHECK(d.server().is_live(top));
    static_cast<void>(finish(d, top));

    const core::connection_id wrapped = reoccupy_slot_0_after(d, UINT32_MAX);
    CHECK(wrapped.generation == 1);
    CHECK(d.server().is_live(wrapped));
    CHECK_FALSE(d.server().is_live(core::connection_id{}));
    CHECK_FALSE(d.server().is_live(core::connection_id{0, 0}));
    CHECK(invariant_breach(d.server()) == "");

    // The wrapped connection lives and ends like any other.
    const auto releases = releases_of(finish(d, wrapped));
    REQUIRE(releases.size() == 1);
    CHECK(releases[0].id == wrapped);
    CHECK(d.server().num_connections() == 0);
    CHECK(d.server().invariant());
}
