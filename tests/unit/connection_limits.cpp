// SEMANTICS.md section 4, rules 4 and 5: max_connections is never exceeded, a slot
// comes back only when its handler has returned and its socket is closed, and the
// at-limit notice is rate-limited.
#include <cerrno>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

namespace {

// Offers one socket per step until the core stops asking; returns the started ids.
std::vector<core::connection_id> fill(core_driver& d, core::socket_handle first_socket) {
    std::vector<core::connection_id> ids;
    for (core::socket_handle s = first_socket; s < first_socket + 100 && d.waiting_readable();
         ++s) {
        const auto started = admit(d, {s});
        ids.insert(ids.end(), started.begin(), started.end());
    }
    return ids;
}

}  // namespace

TEST_CASE("With blocked handlers exactly max_connections connections are admitted") {
    core_driver d(options_with(3));
    const auto ids = fill(d, 100);
    CHECK(ids.size() == 3);
    CHECK(d.server().num_connections() == 3);
    CHECK(d.server().accept_step() == core::accept_phase::idle);
    // The kernel keeps the rest queued: the core refuses to be told it is readable.
    CHECK(d.server().handle(ev::listener_readable{}, d.now_ns()) ==
          core::event_error::readable_not_awaited);
    CHECK(d.server().invariant());
}

TEST_CASE("A slot frees only when the handler has returned and its socket is closed") {
    core_driver d(options_with(2), core::connection_form::reader_writer);
    const auto ids = fill(d, 100);
    REQUIRE(ids.size() == 2);

    SUBCASE("handler first, then the socket") {
        REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
        CHECK(describe(d.take()) == "close_socket(" + id_text(ids[0]) + ")");
        CHECK(d.server().num_connections() == 2);
        CHECK_FALSE(d.waiting_readable());
        REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
        CHECK(describe(d.take()) ==
              "release_connection(" + id_text(ids[0]) + ", none), wait_readable");
    }
    SUBCASE("socket first (the peer went away), then the handler") {
        REQUIRE(d.write_fails(ids[0], ECONNRESET) == core::event_error::none);
        CHECK(describe(d.take()) == "close_socket(" + id_text(ids[0]) + ")");
        REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
        CHECK(describe(d.take()).empty());
        CHECK(d.server().num_connections() == 2);
        CHECK_FALSE(d.waiting_readable());
        REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
        // The result was decided by the peer: the handler's return is late.
        CHECK(describe(d.take()) == "notice(late_handler_result), release_connection(" +
                                        id_text(ids[0]) + ", none, by writer), wait_readable");
    }
    CHECK(d.server().num_connections() == 1);
    CHECK(d.server().invariant());
}

TEST_CASE("After the limit, one connection is admitted per finished handler, in accept order") {
    core_driver d(options_with(2, 4));
    static_cast<void>(d.take());
    REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
    CHECK(describe(d.take()) == "accept_batch(2)");
    REQUIRE(d.feed(ev::socket_accepted{1}) == core::event_error::none);
    REQUIRE(d.feed(ev::socket_accepted{2}) == core::event_error::none);
    CHECK_FALSE(d.server().accept_batch_wants_more());
    REQUIRE(d.feed(ev::batch_done{}) == core::event_error::none);
    auto running = started_ids(d.take());
    REQUIRE(running.size() == 2);

    // The kernel's queue, in its order; each finished handler lets exactly one in.
    std::vector<core::socket_handle> queue = {3, 4, 5, 6};
    std::vector<core::socket_handle> admitted;
    for (std::size_t round = 0; round < 4; ++round) {
        const core::connection_id done = running.front();
        running.erase(running.begin());
        const auto after = finish(d, done);
        REQUIRE(std::holds_alternative<core::actions::wait_readable>(after.back()));
        REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
        const auto batch = d.take_of<core::actions::accept_batch>();
        REQUIRE(batch.size() == 1);
        CHECK(batch[0].max_sockets == 1);
        REQUIRE(d.feed(ev::socket_accepted{queue[round]}) == core::event_error::none);
        CHECK_FALSE(d.server().accept_batch_wants_more());
        REQUIRE(d.feed(ev::batch_done{}) == core::event_error::none);
        const auto as = d.take();
        INFO(describe(as));
        const auto sockets = started_sockets(as);
        REQUIRE(sockets.size() == 1);
        admitted.push_back(sockets[0]);
        const auto ids = started_ids(as);
        running.push_back(ids[0]);
        CHECK_FALSE(d.waiting_readable());
        CHECK(d.server().num_connections() == 2);
    }
    CHECK(admitted == queue);
}

TEST_CASE("The at-limit notice comes at most once a minute and times_at_limit counts each time") {
    core_driver d(options_with(1));
    static_cast<void>(d.take());

    d.accept({1});
    auto as = d.take();
    CHECK(describe(as) == "accept_batch(1), start_handler(0.1), notice(at_limit)");
    CHECK(d.server().stats().times_at_limit == 1);

    // 59.999... s later: at the limit again, counted, but no notice.
    d.set_now_ns(core::notice_interval_ns - 1);
    static_cast<void>(finish(d, started_ids(as)[0]));
    d.accept({2});
    as = d.take();
    CHECK(describe(as) == "accept_batch(1), start_handler(0.2)");
    CHECK(d.server().stats().times_at_limit == 2);

    // A full minute after the first notice: the notice again.
    d.set_now_ns(core::notice_interval_ns);
    static_cast<void>(finish(d, started_ids(as)[0]));
    d.accept({3});
    CHECK(describe(d.take()) == "accept_batch(1), start_handler(0.3), notice(at_limit)");
    CHECK(d.server().stats().times_at_limit == 3);
}

TEST_CASE("A server below its limit gives no at-limit notice") {
    core_driver d(options_with(3, 2));
    static_cast<void>(d.take());
    d.accept({1, 2});
    CHECK_FALSE(d.saw<core::actions::notice>());
    CHECK(d.server().stats().times_at_limit == 0);
}

TEST_CASE("A full server in drop mode does not drop: it does not accept") {
    core_driver d(options_with(1));
    const auto ids = admit(d, {1});
    REQUIRE(ids.size() == 1);
    REQUIRE(d.feed(ev::drop_mode_set{true}) == core::event_error::none);
    CHECK(d.advance(core::ns_per_s) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    CHECK(d.server().accept_step() == core::accept_phase::idle);
    CHECK(d.server().stats().dropped == 0);

    // Once there is room again it accepts, and drops.
    CHECK(describe(finish(d, ids[0])) == "release_connection(0.1, none), wait_readable");
    d.accept({2});
    CHECK(describe(d.take()) == "accept_batch(1), close_dropped_socket(2), wait_readable");
    CHECK(d.server().stats().dropped == 1);
}

TEST_CASE("num_connections never exceeds max_connections whatever the batch size") {
    core_driver d(options_with(5, 16));
    static_cast<void>(d.take());
    std::vector<core::socket_handle> offered;
    for (core::socket_handle s = 1; s <= 20; ++s)
        offered.push_back(s);
    CHECK(d.accept(offered) == 5);
    CHECK(d.server().num_connections() == 5);
    CHECK_FALSE(d.waiting_readable());
    CHECK(d.server().invariant());
}
