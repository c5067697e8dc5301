// The raise policy on libuv: the error comes out of berth::uv::run, or goes to
// the loop's error handler when the application set one.
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

#include "berth/uv/line_protocol.hpp"
#include "berth/uv/server.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

namespace {

uv::server failing_server(test_loop& loop) {
    core::options o;
    o.max_connections = 2;
    o.on_handler_error = core::error_policy::raise;
    return uv::server::create_sock(loop.get(), posix::listen_spec::of_port_chosen_by_os(), o,
                                   uv::line_protocol_sock_handler(loop.get()));
}

}  // namespace

TEST_CASE("raise: the handler's error propagates out of berth::uv::run and the server closes") {
    test_loop loop;
    uv::server s = failing_server(loop);
    test_client c = test_client::tcp(s.listening_on().port);
    c.send("fail\n");
    std::string raised;
    // Bounded: each turn lasts a millisecond or ends with the error.
    for (int i = 0; i < 2000 && raised.empty(); ++i) {
        try {
            static_cast<void>(loop.run_until([] { return false; }, 1 * ms, [&] { c.poll(); }));
        } catch (const std::runtime_error& e) {
            raised = e.what();
        }
    }
    CHECK(raised == "fail requested");
    CHECK(s.is_closed());
    CHECK(s.num_connections() == 0);
    CHECK(s.invariant());
    CHECK(loop.close_loop() == 0);
}

TEST_CASE("raise with a loop error handler: the handler gets the error and the loop runs on") {
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
    test_client c = test_client::tcp(s.listening_on().port);
    c.send("fail\n");
    CHECK(loop.run_until([&] { return !raised.empty(); }, 2000 * ms));
    CHECK(raised == "fail requested");
    CHECK_FALSE(uv::has_pending_error(loop.get()));
    CHECK(s.is_closed());
    uv::set_loop_error_handler(loop.get(), nullptr);
    CHECK(loop.close_loop() == 0);
}

}  // namespace berth::uv_test
