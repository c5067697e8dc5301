#include "berth/core/detail/deadline_heap.hpp"

#include <algorithm>

#include "berth/core/detail/assert.hpp"

namespace berth::core::detail {

// The heap's room grows geometrically like the slot table's: reserving exactly
// `slots` would copy the whole heap for every slot added past the first block.
void deadline_heap::resize(std::uint32_t slots) {
    if (slots <= position_.size()) return;
    position_.resize(slots, absent);
    if (heap_.capacity() < slots) heap_.reserve(std::max<std::size_t>(slots, 2 * heap_.capacity()));
}

time_ns deadline_heap::deadline_of(std::uint32_t index) const {
    return contains(index) ? heap_[position_[index]].at_ns : no_deadline_ns;
}

bool deadline_heap::contains(std::uint32_t index) const {
    return index < position_.size() && position_[index] != absent;
}

void deadline_heap::place(std::uint32_t at, const entry& e) {
    heap_[at] = e;
    position_[e.index] = at;
}

void deadline_heap::sift_up(std::uint32_t at) {
    const entry e = heap_[at];
    while (at > 0) {
        const std::uint32_t parent = (at - 1) / 2;
        if (!before(e, heap_[parent])) break;
        place(at, heap_[parent]);
        at = parent;
    }
    place(at, e);
}

void deadline_heap::sift_down(std::uint32_t at) {
    const entry e = heap_[at];
    const auto n = static_cast<std::uint32_t>(heap_.size());
    for (;;) {
        const std::uint32_t left = 2 * at + 1;
        if (left >= n) break;
        const std::uint32_t right = left + 1;
        const std::uint32_t child = right < n && before(heap_[right], heap_[left]) ? right : left;
        if (!before(heap_[child], e)) break;
        place(at, heap_[child]);
        at = child;
    }
    place(at, e);
}

void deadline_heap::schedule_no_later(std::uint32_t index, time_ns at_ns) {
    BERTH_ASSERT(index < position_.size());
    const std::uint32_t at = position_[index];
    if (at == absent) {
        heap_.push_back(entry{at_ns, index});
        sift_up(static_cast<std::uint32_t>(heap_.size() - 1));
        return;
    }
    if (at_ns >= heap_[at].at_ns) return;
    heap_[at].at_ns = at_ns;
    sift_up(at);
}

// The last entry fills the hole, then moves up or down to where it belongs.
void deadline_heap::remove_at(std::uint32_t at) {
    position_[heap_[at].index] = absent;
    const entry moved = heap_.back();
    heap_.pop_back();
    if (at == heap_.size()) return;
    place(at, moved);
    sift_up(at);
    sift_down(position_[moved.index]);
}

void deadline_heap::cancel(std::uint32_t index) {
    if (!contains(index)) return;
    remove_at(position_[index]);
}

std::uint32_t deadline_heap::pop() {
    BERTH_ASSERT(!heap_.empty());
    const std::uint32_t index = heap_.front().index;
    remove_at(0);
    return index;
}

bool deadline_heap::consistent() const {
    for (std::uint32_t i = 0; i < heap_.size(); ++i) {
        if (heap_[i].index >= position_.size() || position_[heap_[i].index] != i) return false;
        if (i > 0 && before(heap_[i], heap_[(i - 1) / 2])) return false;
    }
    std::uint32_t present = 0;
    for (const std::uint32_t p : position_)
        present += p != absent ? 1U : 0U;
    return present == heap_.size();
}

}  // namespace berth::core::detail
