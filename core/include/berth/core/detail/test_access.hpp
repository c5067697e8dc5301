// TEST ONLY: a way into core::server's private state, so that a test can put the
// server into a state no sequence of events reaches (a corrupted counter, a slot
// that has been reused 2^32 - 1 times) and check what the core makes of it.
//
// It is compiled in every build, but nothing outside tests/ may include it: a
// driver that writes through it voids every guarantee of the core, and
// check_invariant() is then the only thing that still tells the truth.
#pragma once

#include <cstdint>
#include <vector>

#include "berth/core/detail/slot_table.hpp"
#include "berth/core/server.hpp"

namespace berth::core::detail {

struct test_access {
    static std::vector<slot>& slots(server& s) { return s.slots_; }
    static std::uint32_t& held_by_close(server& s) { return s.held_by_close_; }
    static bool& closed(server& s) { return s.closed_; }
    static listener_state& listener(server& s) { return s.listener_; }
};

}  // namespace berth::core::detail
