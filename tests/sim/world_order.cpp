// Virtual time: events run in (time, sequence) order; runs are bounded.
#include <chrono>
#include <functional>
#include <stdexcept>
#include <vector>

#include <doctest/doctest.h>

#include "berth/sim/world.hpp"

namespace berth::sim {

TEST_CASE("events run in time order, and in posting order at the same time") {
    world w(1);
    std::vector<int> order;
    w.post(20, [&] { order.push_back(3); });
    w.post(10, [&] { order.push_back(1); });
    w.post(10, [&] { order.push_back(2); });
    w.post(0, [&] {
        order.push_back(0);
        w.post(10, [&] { order.push_back(21); });  // after what was posted for 10 before
    });
    w.run();
    CHECK(order == std::vector<int>{0, 1, 2, 21, 3});
    CHECK(w.now_ns() == 20);
}

TEST_CASE("a world that never becomes idle fails when it passes its step cap") {
    world w(1);
    std::function<void()> again = [&] { w.post(1, again); };
    w.post(0, again);
    CHECK_THROWS_AS(w.run(1000), check_failure);
}

TEST_CASE("a task sleeps in virtual time") {
    world w(1);
    time_ns woke_at = -1;
    w.spawn([](world& wd, time_ns& out) -> task<> {
        co_await wd.sleep_for(5 * core::ns_per_s);
        out = wd.now_ns();
    }(w, woke_at));
    w.run();
    CHECK(woke_at == 5 * core::ns_per_s);
    CHECK(w.tasks_running() == 0);
}

TEST_CASE("berth::sleep_for, the portable sleep, runs on the world's clock in a spawned task") {
    world w(1);
    time_ns woke_at = -1;
    w.spawn([](world& wd, time_ns& out) -> task<> {
        co_await berth::sleep_for(std::chrono::milliseconds(1500));
        out = wd.now_ns();
    }(w, woke_at));
    w.run();
    CHECK(woke_at == 1500 * core::ns_per_ms);
}

TEST_CASE("an exception that leaves a spawned task propagates out of run") {
    world w(1);
    w.spawn([]() -> task<> {
        co_await berth::sleep_for(std::chrono::milliseconds(1));
        throw std::runtime_error("client gave up");
    }());
    CHECK_THROWS_WITH_AS(w.run(), "client gave up", std::runtime_error);
    CHECK(w.tasks_running() == 0);
}

TEST_CASE("the PRNG streams are fixed by the seed and independent of each other") {
    prng a = make_stream(42, stream::clients);
    prng b = make_stream(42, stream::clients);
    prng c = make_stream(42, stream::network);
    bool streams_differ = false;
    for (int i = 0; i < 100; ++i) {
        const std::uint64_t x = a.below(1000);
        CHECK(x == b.below(1000));
        CHECK(x < 1000);
        streams_differ = streams_differ || c.next() != x;
    }
    CHECK(streams_differ);
}

}  // namespace berth::sim
