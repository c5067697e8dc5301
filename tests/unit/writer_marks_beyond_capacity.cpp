// writer_tracker dates its bytes with a fixed ring of marks, at least limit/16
// apart. A user of the tracker that checks late can bring more spaced marks than
// the ring holds; the newest mark then absorbs the extra bytes. The oldest mark,
// which decides the age, must survive: overwriting it would make old bytes look
// young and let the age limit pass unnoticed.
#include <cstdint>

#include <doctest/doctest.h>

#include "berth/core/writer_tracker.hpp"

using namespace berth;

TEST_CASE(
    "More spaced writes than the ring has marks keep the oldest byte's age, and trip the limit") {
    // A 16 s limit: marks 1 s apart. 40 writes, one a second, with no check in
    // between: 40 spaced marks for a ring that holds fewer.
    constexpr core::time_ns limit_ns = 16 * core::ns_per_s;
    constexpr int writes = 40;
    core::writer_tracker w(limit_ns, 1'000'000, 30 * core::ns_per_s);
    for (int i = 0; i < writes; ++i) {
        REQUIRE(w.on_buffered(i * core::ns_per_s, 1));
    }
    constexpr core::time_ns now_ns = (writes - 1) * core::ns_per_s;
    CHECK(w.bytes_waiting() == writes);
    CHECK(w.oldest_age_ns(now_ns) == now_ns);  // the first byte, written at 0
    CHECK(w.next_deadline_ns() == limit_ns + 1);

    SUBCASE("the check finds the first byte too old") {
        CHECK(w.check(now_ns) == core::writer_status::too_old);
        CHECK(w.failure().age_ns == now_ns);
        CHECK(w.failure().bytes_held == writes);
    }
    SUBCASE("flushing moves the age to the next mark; the merged bytes count as early") {
        // 31 bytes flushed: the oldest left is the first merged mark's (written at
        // 31 s), which also dates the bytes of 32..39 s. Earlier, never later.
        w.on_flushed(now_ns, 31);
        CHECK(w.oldest_age_ns(now_ns) == now_ns - 31 * core::ns_per_s);
        CHECK(w.check(now_ns) == core::writer_status::open);
        w.on_flushed(now_ns, writes - 31);
        CHECK(w.bytes_waiting() == 0);
        CHECK(w.oldest_age_ns(now_ns) == 0);
        CHECK(w.next_deadline_ns() == core::no_deadline_ns);
    }
}
