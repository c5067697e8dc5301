// The raise policy on libuv: the error comes out of berth::uv::run, or goes to the
// loop's error handler when the application set one; either way the server has
// started closing and nothing is left on the loop.
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

#include "berth/line_protocol.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

namespace {

uv::server failing_server(test_loop& loop) {
    core::options o;
    o.max_connections = 2;
    o.on_handler_error = core::error_policy::raise;
    return uv::server::create_sock(loop.get(), loopback(), o, line_protocol_sock_handler());
}

}  // namespace

TEST_CASE("raise: the handler's error propagates out of berth::uv::run and the server closes") {
    const std::size_t before = count_descriptors();
    {
        test_loop loop;
        uv::server s = failing_server(loop);
        peer keeps(s.listening_on_address());
        keeps.send("a\n");
        REQUIRE(loop.run_until([&] { return keeps.received() == "a\n"; }));
        peer c(s.listening_on_address());
        c.send("fail\n");
        CHECK(loop.run_until_thrown() == "fail requested");
        CHECK(s.is_closed());
        CHECK(s.num_connections() == 1);  // the failed one's slot was freed first
        CHECK(s.invariant());
        CHECK_FALSE(uv::has_pending_error(loop.get()));
        keeps.send("b\n");  // run again: the other connection lives on
        CHECK(loop.run_until([&] { return keeps.received() == "a\nb\n"; }));
        CHECK(close_all(loop, s));
        CHECK(loop.close_loop() == 0);
    }
    CHECK(count_descriptors() == before);
}

TEST_CASE("raise with a loop error handler: the handler gets the error and the loop runs on") {
    const std::size_t before = count_descriptors();
    {
        test_loop loop;
        std::string raised;
        uv::set_loop_error_handler(loop.get(), [&](std::exception_ptr e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                raised = ex.what();
            }
        });
        uv::server s = failing_server(loop);
        peer c(s.listening_on_address());
        c.send("fail\n");
        CHECK(loop.run_until([&] { return !raised.empty(); }));
        CHECK(raised == "fail requested");
        CHECK_FALSE(uv::has_pending_error(loop.get()));
        CHECK(s.is_closed());
        CHECK(loop.run_until([&] { return c.ended(); }));
        uv::set_loop_error_handler(loop.get(), nullptr);
        CHECK(loop.close_loop() == 0);
    }
    CHECK(count_descriptors() == before);
}

TEST_CASE("a throwing loop error handler's exception comes out of berth::uv::run instead") {
    const std::size_t before = count_descriptors();
    {
        test_loop loop;
        uv::set_loop_error_handler(loop.get(), [](std::exception_ptr) {
            throw std::runtime_error("the loop's handler failed");
        });
        uv::server s = failing_server(loop);
        peer c(s.listening_on_address());
        c.send("fail\n");
        CHECK(loop.run_until_thrown() == "the loop's handler failed");
        CHECK(s.is_closed());
        uv::set_loop_error_handler(loop.get(), nullptr);
        CHECK(loop.close_loop() == 0);
    }
    CHECK(count_descriptors() == before);
}

}  // namespace berth::uv_test
