#include "berth/engine/buffers.hpp"

#include <algorithm>
#include <cstring>

#include "berth/core/detail/assert.hpp"

namespace berth::engine {

namespace {

// A buffer that grew for a long line gives its memory back once it is empty again.
constexpr std::size_t keep_capacity_max_bytes = 256 * 1024;

}  // namespace

void input_buffer::consume(std::size_t bytes) {
    BERTH_ASSERT(bytes <= size());
    head_ += bytes;
    if (head_ == tail_) {
        head_ = 0;
        tail_ = 0;
    }
}

// In order of cost: use the room at the end; move the unread bytes to the front;
// grow, doubling, up to the cap. A buffer that grew for a long line and is empty
// again starts over small.
std::span<char> input_buffer::prepare(std::size_t min_free_bytes, std::size_t capacity_max_bytes) {
    const std::size_t unread = size();
    if (unread == 0 && capacity_ > keep_capacity_max_bytes) {
        data_.reset();
        capacity_ = 0;
    }
    if (data_ != nullptr && capacity_ - tail_ >= min_free_bytes) {
        return {data_.get() + tail_, capacity_ - tail_};
    }
    const std::size_t limit = std::max(capacity_max_bytes, capacity_);
    if (data_ == nullptr || capacity_ - unread < min_free_bytes) {
        std::size_t grown = std::max(initial_capacity_bytes, capacity_ * 2);
        while (grown - unread < min_free_bytes && grown < limit)
            grown *= 2;
        grown = std::min(grown, limit);
        if (grown > capacity_) {
            std::unique_ptr<char[]> bigger = std::make_unique_for_overwrite<char[]>(grown);
            if (unread > 0) std::memcpy(bigger.get(), data_.get() + head_, unread);
            data_ = std::move(bigger);
            capacity_ = grown;
            head_ = 0;
            tail_ = unread;
        }
    }
    if (head_ > 0) {
        std::memmove(data_.get(), data_.get() + head_, unread);
        head_ = 0;
        tail_ = unread;
    }
    return {data_.get() + tail_, capacity_ - tail_};
}

void input_buffer::commit(std::size_t bytes) {
    BERTH_ASSERT(bytes <= capacity_ - tail_);
    tail_ += bytes;
}

std::span<const char> output_buffer::next() {
    if (sending_head_ == sending_.size()) {
        sending_.clear();
        sending_head_ = 0;
        sending_.swap(queued_);
    }
    return {sending_.data() + sending_head_, sending_.size() - sending_head_};
}

void output_buffer::clear() {
    sending_.clear();
    sending_head_ = 0;
    queued_.clear();
}

}  // namespace berth::engine
