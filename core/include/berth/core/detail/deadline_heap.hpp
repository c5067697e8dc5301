// A min-heap of deadlines keyed by slot index, with each slot's position kept so
// that a deadline can be moved earlier or cancelled in O(log n). At most one
// deadline per slot. Memory grows with the slots it is told about (`resize`) and
// never per operation, so the core's no-allocation rule holds once slots peaked.
//
// Ties are broken by slot index, so the order in which due slots are handed out is
// a function of the deadlines alone (the simulator's runs must replay exactly).
#pragma once

#include <cstdint>
#include <vector>

#include "berth/core/types.hpp"

namespace berth::core::detail {

struct test_access;  // tests only: detail/test_access.hpp

class deadline_heap {
public:
    /// Makes room for slots [0, slots). Never shrinks.
    void resize(std::uint32_t slots);

    /// Sets slot `index`'s deadline to `at_ns` if it has none, or if `at_ns` is
    /// earlier than the one it has; a later deadline is ignored (the owner checks
    /// again when the earlier one comes). Precondition: index < slots.
    void schedule_no_later(std::uint32_t index, time_ns at_ns);
    /// Removes slot `index`'s deadline, if it has one.
    void cancel(std::uint32_t index);

    [[nodiscard]] bool empty() const { return heap_.empty(); }
    [[nodiscard]] std::uint32_t size() const { return static_cast<std::uint32_t>(heap_.size()); }
    [[nodiscard]] bool contains(std::uint32_t index) const;
    /// Slot `index`'s deadline; no_deadline_ns when it has none.
    [[nodiscard]] time_ns deadline_of(std::uint32_t index) const;
    /// The earliest deadline; no_deadline_ns when empty.
    [[nodiscard]] time_ns earliest_ns() const {
        return heap_.empty() ? no_deadline_ns : heap_.front().at_ns;
    }
    /// Removes and returns the slot with the earliest deadline. Precondition: !empty().
    std::uint32_t pop();

    /// Whether the heap order and the positions agree (for invariant checks).
    [[nodiscard]] bool consistent() const;

private:
    friend struct test_access;

    struct entry {
        time_ns at_ns = 0;
        std::uint32_t index = 0;
    };
    static constexpr std::uint32_t absent = UINT32_MAX;

    [[nodiscard]] static bool before(const entry& a, const entry& b) {
        return a.at_ns != b.at_ns ? a.at_ns < b.at_ns : a.index < b.index;
    }
    void place(std::uint32_t at, const entry& e);
    void sift_up(std::uint32_t at);
    void sift_down(std::uint32_t at);
    void remove_at(std::uint32_t at);

    std::vector<entry> heap_;
    std::vector<std::uint32_t> position_;  // by slot index; absent when not in the heap
};

}  // namespace berth::core::detail
