// SEMANTICS.md section 4, rules 2 and 3: the size of a batch and the admission of
// all its connections before any of its handlers starts.
#include <cerrno>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

namespace {

std::uint32_t next_budget(core_driver& d) {
    static_cast<void>(d.take());
    REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
    const auto batches = d.take_of<core::actions::accept_batch>();
    REQUIRE(batches.size() == 1);
    CHECK_FALSE(batches[0].shed);
    return batches[0].max_sockets;
}

std::vector<core::socket_handle> sockets_from(core::socket_handle first, std::size_t n) {
    std::vector<core::socket_handle> out;
    for (std::size_t i = 0; i < n; ++i)
        out.push_back(first + i);
    return out;
}

}  // namespace

TEST_CASE("The batch budget is min(max_accepts_per_batch, free slots)") {
    SUBCASE("the batch size is the smaller") {
        core_driver d(options_with(10, 4));
        CHECK(next_budget(d) == 4);
    }
    SUBCASE("the free slots are fewer than the batch size") {
        core_driver d(options_with(5, 16));
        CHECK(next_budget(d) == 5);
    }
    SUBCASE("the budget shrinks as the server fills") {
        core_driver d(options_with(10, 4));
        static_cast<void>(d.take());
        CHECK(d.accept(sockets_from(1, 4)) == 4);
        CHECK(d.accept(sockets_from(11, 4)) == 4);
        CHECK(d.server().num_connections() == 8);
        CHECK(next_budget(d) == 2);
    }
}

TEST_CASE("With batch size 1 each step takes one socket") {
    core_driver d(options_with(10, 1));
    static_cast<void>(d.take());
    CHECK(d.accept({1, 2, 3}) == 1);
    CHECK(describe(d.take()) == "accept_batch(1), start_handler(0.1), wait_readable");
    // The budget was used up by the one socket: no attempt to find out the queue is empty.
    CHECK(d.server().stats().accept_errors_of(core::accept_error_class::nothing_there) == 0);
}

TEST_CASE("With batch size 16 one step takes up to 16 sockets") {
    core_driver d(options_with(100, 16));
    static_cast<void>(d.take());
    const auto offered = sockets_from(1, 20);
    CHECK(d.accept(offered) == 16);
    const auto as = d.take();
    CHECK(started_sockets(as) == sockets_from(1, 16));
    CHECK(d.server().num_connections() == 16);
    CHECK(std::holds_alternative<core::actions::wait_readable>(as.back()));
}

TEST_CASE("accept_batch_wants_more is true only inside a batch that has budget left") {
    core_driver d(options_with(10, 3));
    CHECK_FALSE(d.server().accept_batch_wants_more());  // waiting for readability
    REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
    CHECK(d.server().accept_batch_wants_more());
    REQUIRE(d.feed(ev::socket_accepted{1}) == core::event_error::none);
    CHECK(d.server().accept_batch_wants_more());
    REQUIRE(d.feed(ev::socket_accepted{2}) == core::event_error::none);
    CHECK(d.server().accept_batch_wants_more());
    REQUIRE(d.feed(ev::socket_accepted{3}) == core::event_error::none);
    CHECK_FALSE(d.server().accept_batch_wants_more());  // budget used
    REQUIRE(d.feed(ev::batch_done{}) == core::event_error::none);
    CHECK_FALSE(d.server().accept_batch_wants_more());

    REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
    REQUIRE(d.feed(ev::socket_accepted{4}) == core::event_error::none);
    REQUIRE(d.feed(ev::accept_failed{EAGAIN}) == core::event_error::none);
    CHECK_FALSE(d.server().accept_batch_wants_more());  // the kernel had no more
    REQUIRE(d.feed(ev::batch_done{}) == core::event_error::none);
    CHECK(d.server().num_connections() == 4);
}

TEST_CASE("Every connection of a batch takes its slot before any handler of the batch starts") {
    core_driver d(options_with(32, 16));
    static_cast<void>(d.take());
    REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
    for (core::socket_handle s = 1; s <= 16; ++s)
        REQUIRE(d.feed(ev::socket_accepted{s}) == core::event_error::none);
    CHECK(d.server().num_connections() == 0);

    // Drive by hand to look at the server between the actions.
    core::server& server = d.server();
    REQUIRE(server.handle(ev::batch_done{}, d.now_ns()) == core::event_error::none);
    CHECK(server.num_connections() == 16);
    std::vector<core::socket_handle> started;
    for (int i = 0; i < 16; ++i) {
        const core::action a = server.poll();
        const auto* s = std::get_if<core::actions::start_handler>(&a);
        REQUIRE_MESSAGE(s != nullptr, describe(a));
        CHECK(server.num_connections() == 16);
        started.push_back(s->socket);
    }
    CHECK(started == sockets_from(1, 16));
    CHECK(std::holds_alternative<core::actions::wait_readable>(server.poll()));
    CHECK(server.invariant());
}

TEST_CASE("A connection accepted in a batch counts in num_connections when its handler starts") {
    core_driver d(options_with(4, 2));
    static_cast<void>(d.take());
    core::server& server = d.server();
    REQUIRE(server.handle(ev::listener_readable{}, 0) == core::event_error::none);
    REQUIRE(std::holds_alternative<core::actions::accept_batch>(server.poll()));
    REQUIRE(server.handle(ev::socket_accepted{9}, 0) == core::event_error::none);
    REQUIRE(server.handle(ev::accept_failed{EAGAIN}, 0) == core::event_error::none);
    REQUIRE(server.handle(ev::batch_done{}, 0) == core::event_error::none);
    const core::action a = server.poll();
    const auto* s = std::get_if<core::actions::start_handler>(&a);
    REQUIRE(s != nullptr);
    CHECK(server.num_connections() == 1);
    CHECK(server.is_live(s->id));
}
