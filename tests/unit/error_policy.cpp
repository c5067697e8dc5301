// SEMANTICS.md section 5: a connection's result, and on_handler_error applied to
// an error result only once the connection's slot is free.
#include <cerrno>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

TEST_CASE("ignore, call and raise each reach the driver with a failing handler's release") {
    const struct {
        core::error_policy policy;
        const char* name;
    } cases[] = {{core::error_policy::ignore, "ignore"},
                 {core::error_policy::call, "call"},
                 {core::error_policy::raise, "raise"}};
    for (const auto& c : cases) {
        CAPTURE(c.name);
        core_driver d(options_with(4, 1, c.policy));
        const auto ids = admit(d, {1});
        const auto as = finish(d, ids[0], core::outcome::error);
        REQUIRE(!as.empty());
        const auto* r = std::get_if<core::actions::release_connection>(&as[0]);
        REQUIRE_MESSAGE(r != nullptr, describe(as));
        CHECK(r->id == ids[0]);
        CHECK(r->result == core::outcome::error);
        CHECK(std::string(core::to_string(r->policy)) == c.name);
        CHECK(d.server().stats().handler_errors == 1);
        CHECK(d.server().stats().handler_ok == 0);
        CHECK(d.server().num_connections() == 0);
    }
}

TEST_CASE("An ok result gives policy none whatever on_handler_error is") {
    for (const auto policy :
         {core::error_policy::ignore, core::error_policy::call, core::error_policy::raise}) {
        CAPTURE(std::string(core::to_string(policy)));
        core_driver d(options_with(1, 1, policy));
        const auto ids = admit(d, {1});
        CHECK(describe(finish(d, ids[0], core::outcome::ok)) ==
              "release_connection(0.1, none), wait_readable");
        CHECK_FALSE(d.server().is_closed());
        CHECK(d.server().stats().handler_ok == 1);
    }
}

TEST_CASE("The policy is applied only after the socket is closed and the slot is free") {
    core_driver d(options_with(1, 1, core::error_policy::call));
    const auto ids = admit(d, {1});
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::error}) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1)");  // no release before the close completes
    CHECK(d.server().num_connections() == 1);

    // By hand, to look at the server when release_connection is handed out.
    core::server& server = d.server();
    REQUIRE(server.handle(ev::socket_closed{ids[0]}, d.now_ns()) == core::event_error::none);
    CHECK(server.num_connections() == 1);
    const core::action a = server.poll();
    const auto* r = std::get_if<core::actions::release_connection>(&a);
    REQUIRE_MESSAGE(r != nullptr, describe(a));
    CHECK(r->policy == core::policy_action::call);
    CHECK(server.num_connections() == 0);
    CHECK_FALSE(server.is_live(ids[0]));
    // The freed slot is usable at once: the loop re-arms right after.
    CHECK(std::holds_alternative<core::actions::wait_readable>(server.poll()));
}

TEST_CASE(
    "raise starts close: no further handler starts, the listener closes, and existing "
    "connections keep running") {
    core_driver d(options_with(4, 2, core::error_policy::raise));
    static_cast<void>(d.take());
    d.accept({1, 2});
    const auto ids = started_ids(d.take());
    REQUIRE(ids.size() == 2);

    // The failing connection's socket close completes while the next batch is running.
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::error}) == core::event_error::none);
    REQUIRE(d.feed(ev::listener_readable{}) == core::event_error::none);
    REQUIRE(d.feed(ev::socket_accepted{3}) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1), accept_batch(2)");
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    CHECK(describe(d.take()) == "release_connection(0.1, raise)");
    CHECK(d.server().is_closed());

    // The batch ends after the close: its socket gets no handler, then the listener closes.
    REQUIRE(d.feed(ev::accept_failed{EAGAIN}) == core::event_error::none);
    REQUIRE(d.feed(ev::batch_done{}) == core::event_error::none);
    CHECK(describe(d.take()) == "close_dropped_socket(3), close_listener");
    CHECK(d.server().stats().closed_after_close == 1);
    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    CHECK(describe(d.take()) == "complete_close");

    // The other connection was not touched and ends by the same rule.
    CHECK(d.server().is_live(ids[1]));
    CHECK(describe(finish(d, ids[1], core::outcome::error)) ==
          "release_connection(1.1, raise), complete_handlers_finished");
    CHECK(d.server().num_connections() == 0);
}

TEST_CASE("raise while waiting for readability cancels the wait and closes the listener next") {
    core_driver d(options_with(4, 1, core::error_policy::raise));
    const auto ids = admit(d, {1});
    REQUIRE(d.waiting_readable());
    CHECK(describe(finish(d, ids[0], core::outcome::error)) ==
          "release_connection(0.1, raise), close_listener");
    CHECK(d.server().accept_step() == core::accept_phase::idle);
    CHECK(d.feed(ev::listener_readable{}) == core::event_error::readable_not_awaited);
}

TEST_CASE("A failing handler never leaks a slot, whatever the policy") {
    for (const auto policy : {core::error_policy::ignore, core::error_policy::call}) {
        CAPTURE(std::string(core::to_string(policy)));
        core_driver d(options_with(2, 1, policy));
        for (core::socket_handle s = 1; s <= 20; ++s) {
            const auto ids = admit(d, {s});
            REQUIRE(ids.size() == 1);
            static_cast<void>(finish(d, ids[0], core::outcome::error));
            CHECK(d.server().num_connections() == 0);
        }
        CHECK(d.server().stats().handler_errors == 20);
        CHECK(d.waiting_readable());
    }
    // raise: the slot is free before the server closes, and the close completes.
    core_driver d(options_with(1, 1, core::error_policy::raise));
    const auto ids = admit(d, {1});
    static_cast<void>(finish(d, ids[0], core::outcome::error));
    CHECK(d.server().num_connections() == 0);
    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    CHECK(describe(d.take()) == "complete_close, complete_handlers_finished");
}

TEST_CASE("A failed write decides an error result and the handler's later return is late") {
    core_driver d(options_with(1, 1, core::error_policy::call),
                  core::connection_form::reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write_fails(ids[0], EIO) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1)");
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    CHECK(describe(d.take()).empty());  // the handler still runs
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    const auto as = d.take();
    CHECK(describe(as) ==
          "notice(late_handler_result), release_connection(0.1, call, by writer), wait_readable");
    const auto* n = std::get_if<core::actions::notice>(&as[0]);
    REQUIRE(n != nullptr);
    CHECK(n->id == ids[0]);
    const auto* r = std::get_if<core::actions::release_connection>(&as[1]);
    REQUIRE(r != nullptr);
    CHECK(r->result == core::outcome::error);
    CHECK(d.server().stats().late_handler_results == 1);
    CHECK(d.server().stats().handler_errors == 1);
    CHECK(d.server().stats().writer_failures == 1);
}

TEST_CASE(
    "A departed peer decides an ok result and a later handler failure is late, not an error") {
    core_driver d(options_with(1, 1, core::error_policy::raise),
                  core::connection_form::reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.write_fails(ids[0], EPIPE) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1)");
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::error}) == core::event_error::none);
    const auto as = d.take();
    CHECK(describe(as) ==
          "notice(late_handler_result), release_connection(0.1, none, by writer), wait_readable");
    const auto* r = std::get_if<core::actions::release_connection>(&as[1]);
    REQUIRE(r != nullptr);
    CHECK(r->result == core::outcome::ok);
    CHECK_FALSE(d.server().is_closed());
    CHECK(d.server().stats().handler_ok == 1);
    CHECK(d.server().stats().handler_errors == 0);
    CHECK(d.server().stats().late_handler_results == 1);
    CHECK(d.server().stats().writer_failures == 0);
}

TEST_CASE("The first result wins: write failures after the handler's result change nothing") {
    core_driver d(options_with(1, 1, core::error_policy::call),
                  core::connection_form::reader_writer);
    const auto ids = admit(d, {1});
    REQUIRE(d.feed(ev::handler_returned{ids[0], core::outcome::ok}) == core::event_error::none);
    CHECK(describe(d.take()) == "close_socket(0.1)");  // nothing to flush
    REQUIRE(d.write_fails(ids[0], EIO) == core::event_error::none);
    REQUIRE(d.write_fails(ids[0], EPIPE) == core::event_error::none);
    CHECK(describe(d.take()).empty());
    REQUIRE(d.feed(ev::socket_closed{ids[0]}) == core::event_error::none);
    CHECK(describe(d.take()) == "release_connection(0.1, none), wait_readable");
    CHECK(d.server().stats().late_handler_results == 0);
    CHECK(d.server().stats().writer_failures == 0);
}

TEST_CASE("A handler that returns on time gives no late notice") {
    core_driver d(options_with(1, 1, core::error_policy::ignore));
    const auto ids = admit(d, {1});
    CHECK(describe(finish(d, ids[0], core::outcome::error)) ==
          "release_connection(0.1, ignore), wait_readable");
    CHECK(d.server().stats().late_handler_results == 0);
}
