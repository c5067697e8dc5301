#include "berth/core/detail/assert.hpp"
#include "berth/core/detail/slot_table.hpp"

namespace berth::core::detail {

void slot_list::push_back(std::vector<slot>& slots, std::uint32_t index, list_tag tag) {
    BERTH_ASSERT(index < slots.size());
    BERTH_ASSERT(slots[index].list == list_tag::none);
    BERTH_ASSERT(tag != list_tag::none);
    slots[index].list = tag;
    slots[index].next = nil_index;
    if (tail_ == nil_index) {
        head_ = index;
    } else {
        slots[tail_].next = index;
    }
    tail_ = index;
    ++size_;
}

std::uint32_t slot_list::pop_front(std::vector<slot>& slots) {
    BERTH_ASSERT(head_ != nil_index);
    const std::uint32_t index = head_;
    head_ = slots[index].next;
    if (head_ == nil_index) tail_ = nil_index;
    slots[index].next = nil_index;
    slots[index].list = list_tag::none;
    --size_;
    return index;
}

}  // namespace berth::core::detail
