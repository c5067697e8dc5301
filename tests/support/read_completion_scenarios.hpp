// A read's completion never runs inside the call that started the read (the
// contract of engine/io.hpp), checked through the user's API on a real backend
// (the H of tests/posix/portable_scenarios.hpp): the handler starts a read when
// the kernel already holds the bytes (or the end of the stream), the case where a
// backend could complete at once, and sees whether it was resumed before
// await_suspend returned.
//
// What is recorded lives in a shared_ptr the awaiter copies onto its own stack
// before starting the read, so nothing after the read's start touches the
// coroutine's frame: the check does not depend on stack or frame lifetimes and
// means the same in Release and under ASan with detect_stack_use_after_return.
#pragma once

#include <array>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <memory>
#include <string>
#include <sys/ioctl.h>
#include <utility>

#include <doctest/doctest.h>

#include "berth/stream.hpp"
#include "berth/task.hpp"
#include "loopback_peer.hpp"
#include "portable_scenarios.hpp"

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

// Waits (bounded) until the kernel holds at least `count` unread bytes, or the
// peer's end, on the socket: the backend has not read them.
inline task<> until_in_kernel(stream& st, int count) {
    const int fd = static_cast<int>(st.native_handle());
    for (int i = 0; i < 2000; ++i) {
        int unread = 0;
        if (::ioctl(fd, FIONREAD, &unread) == 0 && unread >= count) co_return;
        co_await sleep_for(std::chrono::milliseconds(1));
    }
}

}  // namespace read_completion

template <typename H>
void a_read_completion_never_runs_inside_the_read_call() {
    const std::size_t before = H::open_descriptors();
    {
        H h;
        error_log errors;
        const auto with_data = std::make_shared<read_completion::record>();
        const auto with_end = std::make_shared<read_completion::record>();
        std::string first;
        std::size_t at_end = 1;
        bool done = false;
        auto s = h.create_sock(
            loopback(), call_options(),
            [&](address, stream& st) -> task<> {
                std::array<char, 16> buffer{};
                co_await read_completion::until_in_kernel(st, 5);
                auto read_data = st.read_some(buffer);
                const std::size_t n = co_await read_completion::watched(read_data, with_data);
                first.assign(buffer.data(), n);
                co_await st.write("ok\n");
                // The client closes after it reads "ok": then the end is what waits.
                for (int i = 0; i < 2000; ++i) {
                    std::array<char, 1> peek{};
                    if (::recv(static_cast<int>(st.native_handle()), peek.data(), 1,
                               MSG_PEEK | MSG_DONTWAIT) == 0) {
                        break;
                    }
                    co_await sleep_for(std::chrono::milliseconds(1));
                }
                auto read_end = st.read_some(buffer);
                at_end = co_await read_completion::watched(read_end, with_end);
                done = true;
            },
            errors.hooks());
        peer c(s.listening_on_address());
        c.send("hello");
        REQUIRE(h.run_until([&] { return c.received() == "ok\n"; }, std::chrono::seconds(2)));
        c.close();
        REQUIRE(h.run_until([&] { return done; }, std::chrono::seconds(2)));

        CHECK(first == "hello");
        CHECK(with_data->suspended);  // the read did go to the backend
        CHECK(with_data->completed);
        CHECK_FALSE(with_data->resumed_inside);
        CHECK(at_end == 0);
        CHECK(with_end->suspended);
        CHECK(with_end->completed);
        CHECK_FALSE(with_end->resumed_inside);
        CHECK(errors.entries.empty());
        CHECK(h.close_all(s));
        CHECK(h.wound_down());
    }
    CHECK(H::open_descriptors() == before);
}

}  // namespace berth::test
