// Watching one read of the user's API: whether its completion ran inside the
// call that started it (the contract of engine/io.hpp), for every backend (the
// real ones in read_completion_scenarios.hpp, the sim in tests/sim).
//
// What is recorded lives in a shared_ptr the awaiter copies onto its own stack
// before starting the read, so nothing after the read's start touches the
// coroutine's frame: the check does not depend on stack or frame lifetimes and
// means the same in Release and under ASan with detect_stack_use_after_return.
#pragma once

#include <coroutine>
#include <memory>
#include <utility>

#include <doctest/doctest.h>

namespace berth::test {

namespace read_completion {

struct record {
    bool in_start = false;        // inside the read's await_suspend
    bool resumed_inside = false;  // the read completed before await_suspend returned
    bool completed = false;
    bool suspended = false;  // await_ready said no: the read went to the backend
};

/// co_await watched(op, rec): co_await op, with what its start and completion did
/// recorded (operations are not movable: `op` is the caller's).
template <typename Op>
class watched {
public:
    watched(Op& op, std::shared_ptr<record> rec) : op_(op), rec_(std::move(rec)) {}

    bool await_ready() {
        const bool ready = op_.await_ready();
        rec_->suspended = !ready;
        return ready;
    }
    void await_suspend(std::coroutine_handle<> h) {
        // This call's own copy: the awaiter and the frame may be gone once the
        // read resumed the handler and it went on.
        const std::shared_ptr<record> rec = rec_;
        rec->in_start = true;
        op_.await_suspend(h);
        rec->in_start = false;
    }
    auto await_resume() {
        rec_->resumed_inside = rec_->in_start;
        rec_->completed = true;
        return op_.await_resume();
    }

private:
    Op& op_;
    std::shared_ptr<record> rec_;
};

/// What every watched read must show: it went to the backend (the case under test),
/// it completed, and not inside the call that started it.
inline void check_completed_later(const record& rec) {
    CHECK(rec.suspended);
    CHECK(rec.completed);
    CHECK_FALSE(rec.resumed_inside);
}

}  // namespace read_completion

}  // namespace berth::test
