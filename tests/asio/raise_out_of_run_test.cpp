// The raise policy on Asio: the handler's error propagates out of run() after the
// slot is freed and the server has started closing; a throwing `call` function
// does the same, and existing connections keep running.
#include <stdexcept>
#include <string>

#include "asio_test_support.hpp"
#include "berth/errors.hpp"
#include "berth/line_protocol.hpp"

namespace berth::asio_test {

namespace net = boost::asio;

TEST_CASE("raise propagates the handler's error out of run() and closes the server") {
    const std::size_t before = open_descriptors();
    {
        net::io_context ctx;
        core::options o;
        o.max_connections = 4;
        o.on_handler_error = core::error_policy::raise;
        asio::server s = asio::server::create(ctx, loopback(), o, line_protocol_handler());
        peer keeps(s.listening_on_address());
        keeps.send("a\n");
        REQUIRE(run_until(ctx, [&] { return keeps.received() == "a\n"; }));
        peer fails(s.listening_on_address());
        fails.send("fail\n");
        CHECK(run_until_thrown(ctx) == "fail requested");
        CHECK(s.is_closed());
        CHECK(s.num_connections() == 1);  // the failed one's slot is free
        CHECK(s.stats().handler_errors == 1);
        keeps.send("b\n");  // run() may be called again; the other connection lives
        CHECK(run_until(ctx, [&] { return keeps.received() == "a\nb\n"; }));
        CHECK(close_all(ctx, s));
        CHECK(s.invariant());
        CHECK(runs_out_of_work(ctx));
    }
    CHECK(open_descriptors() == before);
}

TEST_CASE("a throwing call function closes the server, then propagates out of run()") {
    const std::size_t before = open_descriptors();
    {
        net::io_context ctx;
        core::options o;
        o.max_connections = 4;
        o.on_handler_error = core::error_policy::call;
        server_hooks hooks;
        std::string seen;
        address seen_peer;
        hooks.on_handler_error = [&](const address& p, std::exception_ptr e) {
            seen_peer = p;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& x) {
                seen = x.what();
            }
            throw std::runtime_error("the call function failed");
        };
        asio::server s =
            asio::server::create_sock(ctx, loopback(), o, line_protocol_sock_handler(), hooks);
        peer keeps(s.listening_on_address());
        peer fails(s.listening_on_address());
        keeps.send("a\n");
        CHECK(run_until(ctx, [&] { return keeps.received() == "a\n"; }));
        fails.send("fail\n");
        CHECK(run_until_thrown(ctx) == "the call function failed");
        CHECK(seen == "fail requested");
        CHECK(seen_peer == fails.local_address());
        CHECK(s.is_closed());
        keeps.send("b\n");  // existing connections keep running
        CHECK(run_until(ctx, [&] { return keeps.received() == "a\nb\n"; }));
        CHECK(close_all(ctx, s));
        CHECK(runs_out_of_work(ctx));
    }
    CHECK(open_descriptors() == before);
}

TEST_CASE("options are refused with a creation_error before any descriptor is opened") {
    net::io_context ctx;
    const std::size_t with_context = open_descriptors();
    core::options o;
    o.max_connections = 4;
    o.max_accepts_per_batch = 0;
    o.on_handler_error = core::error_policy::ignore;
    CHECK_THROWS_WITH_AS(static_cast<void>(asio::server::create_sock(ctx, loopback(), o,
                                                                     line_protocol_sock_handler())),
                         "max_accepts_per_batch must be at least 1 (got 0)", creation_error);
    o.max_accepts_per_batch = 1;
    o.on_handler_error = core::error_policy::call;  // and no hook
    CHECK_THROWS_AS(
        static_cast<void>(asio::server::create(ctx, loopback(), o, line_protocol_handler())),
        creation_error);
    o.on_handler_error = core::error_policy::ignore;
    CHECK_THROWS_AS(
        static_cast<void>(asio::server::create(ctx, loopback(), o, reader_writer_handler{})),
        creation_error);
    CHECK(open_descriptors() == with_context);
}

}  // namespace berth::asio_test
