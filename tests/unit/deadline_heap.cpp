// core/include/berth/core/detail/deadline_heap.hpp: the indexed min-heap that
// merges the writers' deadlines into the core's one timer. At most one deadline per
// slot, moved only earlier by schedule_no_later, removed by cancel; pop hands out
// the earliest, ties broken by slot index; consistent() holds after every step.
#include "berth/core/detail/deadline_heap.hpp"

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

using namespace berth;
using core::detail::deadline_heap;

TEST_CASE("An empty heap has no earliest deadline") {
    deadline_heap h;
    CHECK(h.empty());
    CHECK(h.size() == 0);
    CHECK(h.earliest_ns() == core::no_deadline_ns);
    CHECK_FALSE(h.contains(0));
    CHECK(h.deadline_of(0) == core::no_deadline_ns);
    CHECK(h.consistent());
    h.resize(4);
    CHECK(h.empty());
    CHECK_FALSE(h.contains(3));
    CHECK(h.consistent());
}

TEST_CASE("schedule_no_later sets a deadline, moves it earlier, and ignores a later one") {
    deadline_heap h;
    h.resize(4);
    h.schedule_no_later(2, 100);
    CHECK(h.contains(2));
    CHECK(h.deadline_of(2) == 100);
    CHECK(h.earliest_ns() == 100);
    h.schedule_no_later(2, 150);  // later: ignored
    CHECK(h.deadline_of(2) == 100);
    h.schedule_no_later(2, 100);  // the same: nothing changes
    CHECK(h.size() == 1);
    h.schedule_no_later(2, 40);  // earlier: moved
    CHECK(h.deadline_of(2) == 40);
    CHECK(h.size() == 1);  // still one deadline for the slot
    CHECK(h.earliest_ns() == 40);
    CHECK(h.consistent());
}

TEST_CASE("cancel removes a slot's deadline and ignores a slot without one") {
    deadline_heap h;
    h.resize(3);
    h.schedule_no_later(0, 30);
    h.schedule_no_later(1, 10);
    h.schedule_no_later(2, 20);
    h.cancel(1);
    CHECK_FALSE(h.contains(1));
    CHECK(h.size() == 2);
    CHECK(h.earliest_ns() == 20);
    h.cancel(1);  // already gone
    CHECK(h.size() == 2);
    CHECK(h.consistent());
    CHECK(h.pop() == 2);
    CHECK(h.pop() == 0);
    CHECK(h.empty());
}

TEST_CASE("pop hands out the earliest deadline first, ties in slot order") {
    deadline_heap h;
    h.resize(8);
    // Scheduled out of order; slots 1, 4 and 6 share a deadline.
    const std::vector<std::pair<std::uint32_t, core::time_ns>> scheduled = {
        {6, 50}, {3, 70}, {4, 50}, {0, 90}, {1, 50}, {7, 10}, {5, 70}, {2, 60}};
    for (const auto& [index, at] : scheduled)
        h.schedule_no_later(index, at);
    CHECK(h.consistent());
    std::vector<std::uint32_t> order;
    while (!h.empty())
        order.push_back(h.pop());
    CHECK(order == std::vector<std::uint32_t>{7, 1, 4, 6, 2, 3, 5, 0});
}

TEST_CASE("resize never shrinks and keeps the deadlines") {
    deadline_heap h;
    h.resize(2);
    h.schedule_no_later(1, 5);
    h.resize(1);  // smaller: ignored
    CHECK(h.contains(1));
    h.resize(1000);
    CHECK(h.contains(1));
    h.schedule_no_later(999, 3);
    CHECK(h.earliest_ns() == 3);
    CHECK(h.consistent());
}

TEST_CASE(
    "Growing one slot at a time, as the slot table does past its first block, keeps every "
    "deadline") {
    deadline_heap h;
    h.resize(3);
    for (std::uint32_t slots = 4; slots <= 40; ++slots) {
        h.resize(slots);
        h.schedule_no_later(slots - 1, 1000 - static_cast<core::time_ns>(slots));
        CHECK(h.size() == slots - 3);
        CHECK(h.consistent());
    }
    CHECK(h.earliest_ns() == 960);
    CHECK(h.pop() == 39);
    CHECK(h.deadline_of(3) == 996);
}

TEST_CASE("The heap agrees with a plain ordered set through a long random run") {
    constexpr std::uint32_t slots = 64;
    deadline_heap h;
    h.resize(slots);
    std::map<std::uint32_t, core::time_ns> model;  // slot -> deadline
    std::uint64_t state = 12345;
    const auto below = [&state](std::uint32_t n) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::uint32_t>((state >> 33) % n);
    };
    for (int step = 0; step < 20000; ++step) {
        const std::uint32_t index = below(slots);
        switch (below(4)) {
            case 0:
            case 1: {
                const core::time_ns at = below(200);  // few values: many ties
                h.schedule_no_later(index, at);
                const auto found = model.find(index);
                if (found == model.end() || at < found->second) model[index] = at;
                break;
            }
            case 2:
                h.cancel(index);
                model.erase(index);
                break;
            case 3:
                if (!model.empty()) {
                    std::set<std::pair<core::time_ns, std::uint32_t>> by_time;
                    for (const auto& [i, at] : model)
                        by_time.insert({at, i});
                    REQUIRE(h.earliest_ns() == by_time.begin()->first);
                    REQUIRE(h.pop() == by_time.begin()->second);
                    model.erase(by_time.begin()->second);
                }
                break;
        }
        REQUIRE(h.consistent());
        REQUIRE(h.size() == model.size());
        REQUIRE(h.contains(index) == (model.count(index) != 0));
        REQUIRE(h.deadline_of(index) ==
                (model.count(index) != 0 ? model[index] : core::no_deadline_ns));
    }
}
