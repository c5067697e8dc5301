// A read's completion never runs inside the call that started the read (the
// contract of engine/io.hpp), checked through the user's API on a real backend
// (the H of tests/posix/portable_scenarios.hpp): the handler starts a read when
// the kernel already holds the bytes (or the end of the stream), the case where a
// backend could complete at once, and sees (read_completion_watch.hpp) whether it
// was resumed before await_suspend returned.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <sys/ioctl.h>

#include <doctest/doctest.h>

#include "berth/stream.hpp"
#include "berth/task.hpp"
#include "loopback_peer.hpp"
#include "portable_scenarios.hpp"
#include "read_completion_watch.hpp"

namespace berth::test {

namespace read_completion {

// Waits (bounded) until the kernel holds at least `count` unread bytes on the
// socket, which the backend has not read.
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
        read_completion::check_completed_later(*with_data);
        CHECK(at_end == 0);
        read_completion::check_completed_later(*with_end);
        CHECK(errors.entries.empty());
        CHECK(h.close_all(s));
        CHECK(h.wound_down());
    }
    CHECK(H::open_descriptors() == before);
}

}  // namespace berth::test
