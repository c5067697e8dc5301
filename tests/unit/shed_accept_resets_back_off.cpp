// SEMANTICS.md section 6: the back-off is "reset after a successful accept". A
// shed accept is a successful accept (the kernel gave a descriptor; the server
// closed it at once), so the pause that follows it starts again at 5 ms.
#include <cerrno>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

namespace {

core::options shedding() {
    core::options o = options_with(8, 4);
    o.on_accept_exhaustion = core::exhaustion_mode::shed;
    return o;
}

// Runs one ordinary batch that runs out (so the next is shed), then that shed
// batch with `shed_before` sockets shed before it runs out too. Returns the pause
// it ended with, in ns from the shed batch's time.
core::time_ns pause_after_shed_batch_ns(core_driver& d, int shed_before) {
    static_cast<void>(d.take());
    REQUIRE(d.waiting_readable());
    CHECK(d.accept_results({EMFILE}) == 0);
    REQUIRE(d.waiting_readable());
    static_cast<void>(d.take());
    REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
    const auto batches = d.take_of<core::actions::accept_batch>();
    REQUIRE(batches.size() == 1);
    REQUIRE(batches[0].shed);
    for (int i = 0; i < shed_before; ++i) {
        REQUIRE(d.feed(ev::socket_shed{}) == core::event_error::none);
    }
    REQUIRE(d.feed(ev::accept_failed{EMFILE}) == core::event_error::none);
    REQUIRE(d.feed(ev::batch_done{}) == core::event_error::none);
    CHECK_FALSE(d.waiting_readable());
    return d.server().back_off_until_ns() - d.now_ns();
}

// Waits out the back-off, so that the next accept step starts.
void wait_out_back_off(core_driver& d) {
    REQUIRE(d.deadline_ns() > d.now_ns());
    REQUIRE(d.advance(d.deadline_ns() - d.now_ns()) == core::event_error::none);
    REQUIRE(d.waiting_readable());
}

}  // namespace

TEST_CASE("A shed accept resets the back-off: the next pause is 5 ms, not double the last") {
    core_driver d(shedding());

    // Two shed batches that shed nothing: the pauses double, 5 ms then 10 ms.
    CHECK(pause_after_shed_batch_ns(d, 0) == 5 * core::ns_per_ms);
    wait_out_back_off(d);
    CHECK(pause_after_shed_batch_ns(d, 0) == 10 * core::ns_per_ms);
    wait_out_back_off(d);

    // A shed batch that sheds one client before running out: that accept
    // succeeded, so its pause starts again at 5 ms.
    CHECK(pause_after_shed_batch_ns(d, 1) == 5 * core::ns_per_ms);
    CHECK(d.server().stats().shed == 1);
    CHECK(d.server().stats().back_off_pauses == 3);
    CHECK(d.server().invariant());
}
