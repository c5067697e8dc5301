// The buffered writer's two buffers (SEMANTICS.md section 7): write() appends to
// `queued` while a write in flight sends from `sending`, so that no write ever
// moves bytes the loop is sending.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace berth::driver {

class send_buffers {
public:
    void append(std::string_view data) { queued_.append(data); }

    /// The bytes to send next: the rest of `sending`, or once that is all sent,
    /// what was queued meanwhile. Empty when nothing waits. Valid until the next
    /// call of next().
    [[nodiscard]] std::span<char> next() {
        if (sending_head_ == sending_.size()) {
            sending_.clear();
            sending_head_ = 0;
            sending_.swap(queued_);
        }
        return {sending_.data() + sending_head_, sending_.size() - sending_head_};
    }

    /// `bytes` of next() went out.
    void sent(std::size_t bytes) { sending_head_ += bytes; }

private:
    std::string sending_;
    std::size_t sending_head_ = 0;
    std::string queued_;
};

}  // namespace berth::driver
