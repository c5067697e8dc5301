// TEST ONLY: a way into the private state of core::server and its deadline heap,
// so that a test can put the core into a state no sequence of events reaches (a
// corrupted counter, a slot reused 2^32 - 1 times) and check what the core makes
// of it: check_invariant() must name each breach, the allocator must skip
// generation 0.
//
// It is compiled in every build, but nothing outside tests/ may include it: a
// driver that writes through it voids every guarantee of the core, and
// check_invariant() is then the only thing that still tells the truth.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "berth/core/detail/deadline_heap.hpp"
#include "berth/core/detail/slot_table.hpp"
#include "berth/core/server.hpp"

namespace berth::core::detail {

struct test_access {
    // The slots and their lists.
    static std::vector<slot>& slots(server& s) { return s.slots_; }
    static options& opts(server& s) { return s.opts_; }
    static std::uint32_t& num_connections(server& s) { return s.num_connections_; }
    static slot_list& free_list(server& s) { return s.free_list_; }
    static slot_list& start_list(server& s) { return s.start_list_; }
    static slot_list& close_list(server& s) { return s.close_list_; }
    static slot_list& release_list(server& s) { return s.release_list_; }
    static std::uint32_t& notice_head(server& s) { return s.notice_head_; }

    // The writers' books.
    static std::vector<writer_tracker>& writers(server& s) { return s.writers_; }
    static deadline_heap& writer_deadlines(server& s) { return s.writer_deadlines_; }
    /// Swaps the heap's first two entries (and their positions), breaking its order.
    static void swap_first_two(deadline_heap& h) {
        std::swap(h.heap_[0], h.heap_[1]);
        std::swap(h.position_[h.heap_[0].index], h.position_[h.heap_[1].index]);
    }
    /// Points the heap's first entry at slot `index` without updating the positions.
    static void retarget_first(deadline_heap& h, std::uint32_t index) { h.heap_[0].index = index; }

    // The accept step.
    static accept_phase& phase(server& s) { return s.phase_; }
    static std::vector<socket_handle>& batch_sockets(server& s) { return s.batch_sockets_; }
    static std::uint32_t& batch_budget(server& s) { return s.batch_budget_; }
    static std::uint32_t& batch_attempts(server& s) { return s.batch_attempts_; }
    static bool& batch_shed(server& s) { return s.batch_shed_; }
    static bool& dropping_batch(server& s) { return s.dropping_batch_; }
    static std::uint32_t& drop_cursor(server& s) { return s.drop_cursor_; }
    static reserve_state& reserve(server& s) { return s.reserve_; }
    static bool& fatal_error_pending(server& s) { return s.fatal_error_pending_; }

    // Close.
    static bool& closed(server& s) { return s.closed_; }
    static listener_state& listener(server& s) { return s.listener_; }
    static std::uint32_t& held_by_close(server& s) { return s.held_by_close_; }
    static bool& close_completed(server& s) { return s.close_completed_; }
    static bool& handlers_finished(server& s) { return s.handlers_finished_; }
};

}  // namespace berth::core::detail
