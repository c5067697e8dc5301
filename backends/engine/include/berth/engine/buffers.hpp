/// @file
/// A connection's two buffers: what was received and not read yet (input_buffer),
/// and what the writer holds and the kernel has not taken yet (output_buffer).
/// Both keep their memory between uses, so a connection in its steady state
/// allocates nothing, and both have a bound: the input a reader's line length, the
/// output the core's buffer_limit_bytes (enforced by the writer's books).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace berth::engine {

/// What was received and not read yet, contiguous. Not thread safe; the
/// connection owns it.
class input_buffer {
public:
    /// The capacity a buffer starts with, allocated at the first fill.
    static constexpr std::size_t initial_capacity_bytes = 16 * 1024;

    /// The unread bytes; the view is valid until the next prepare().
    [[nodiscard]] std::string_view readable() const { return {data_.get() + head_, tail_ - head_}; }
    /// How many bytes are unread.
    [[nodiscard]] std::size_t size() const { return tail_ - head_; }
    /// Marks bytes read. Precondition: at most size().
    /// @param bytes from the front of readable().
    void consume(std::size_t bytes);

    /// Free space to fill at the end, at least `min_free_bytes` of it when the
    /// buffer can hold that without growing past `capacity_max_bytes` (it moves
    /// what is unread to the front or grows to make room); empty when it cannot.
    /// Moves the bytes: precondition no fill is outstanding, and views of the
    /// readable bytes are dead.
    /// @param min_free_bytes the least free space wanted.
    /// @param capacity_max_bytes the most the buffer may grow to.
    /// @return the free space, valid until commit() or the next prepare().
    /// @throws std::bad_alloc when growing fails.
    [[nodiscard]] std::span<char> prepare(std::size_t min_free_bytes,
                                          std::size_t capacity_max_bytes);
    /// `bytes` of the span prepare() returned were filled.
    /// @param bytes at most the span's size.
    void commit(std::size_t bytes);
    /// The bytes allocated: 0 before the first fill.
    [[nodiscard]] std::size_t capacity() const { return capacity_; }

private:
    std::unique_ptr<char[]> data_;
    std::size_t capacity_ = 0;
    std::size_t head_ = 0;
    std::size_t tail_ = 0;
};

/// The writer's buffer, in two halves: write() appends to `queued` while the write
/// in flight sends from `sending`, so that no write ever moves bytes the loop is
/// sending. Not thread safe; the connection owns it.
class output_buffer {
public:
    /// Copies `data` behind what is queued.
    /// @param data copied before the call returns.
    /// @throws std::bad_alloc when growing fails.
    void append(std::string_view data) { queued_.append(data); }

    /// The bytes to send next: the rest of `sending`, or once that is all sent, what
    /// was queued meanwhile. Empty when nothing waits. Valid until the next call.
    [[nodiscard]] std::span<const char> next();
    /// `bytes` of next() went out.
    /// @param bytes at most next()'s size.
    void sent(std::size_t bytes) { sending_head_ += bytes; }
    /// Bytes not yet sent, both halves.
    [[nodiscard]] std::size_t size() const {
        return sending_.size() - sending_head_ + queued_.size();
    }
    /// Drops everything (the writer stopped).
    void clear();

private:
    std::string sending_;
    std::size_t sending_head_ = 0;
    std::string queued_;
};

}  // namespace berth::engine
