// The raise policy: the handler's error propagates out of run() after the slot is
// freed and the server has started closing; a throwing `call` does the same.
#include <stdexcept>
#include <string>

#include "asio_test_support.hpp"
#include "berth/asio/line_protocol.hpp"
#include "berth/asio/server.hpp"

namespace berth::asio_test {

namespace net = boost::asio;

namespace {

posix::listen_spec loopback() {
    return posix::listen_spec::bind_to(posix::bind_address::localhost(),
                                       posix::bind_port::chosen_by_os());
}

// Runs until run() throws; the message, or empty if nothing was thrown in time.
std::string run_until_thrown(net::io_context& ctx) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < deadline) {
        try {
            if (ctx.stopped()) ctx.restart();
            static_cast<void>(ctx.run_one_for(std::chrono::milliseconds(1)));
        } catch (const std::exception& e) {
            return e.what();
        }
    }
    return {};
}

}  // namespace

TEST_CASE("raise propagates the handler's error out of run() and closes the server") {
    const std::size_t before = open_descriptors();
    {
        net::io_context ctx;
        core::options o;
        o.max_connections = 4;
        o.on_handler_error = core::error_policy::raise;
        asio::server s = asio::server::create(ctx, loopback(), o, asio::line_protocol_handler());
        client c(s.listening_on_address());
        c.send("fail\n");
        CHECK(run_until_thrown(ctx) == "fail requested");
        CHECK(s.is_closed());
        CHECK(s.num_connections() == 0);
        bool finished = false;
        s.handlers_finished([&] { finished = true; });
        CHECK(run_until(ctx, [&] { return finished; }));
    }
    CHECK(open_descriptors() == before);
}

TEST_CASE("a throwing call function closes the server, then propagates out of run()") {
    net::io_context ctx;
    core::options o;
    o.max_connections = 4;
    o.on_handler_error = core::error_policy::call;
    asio::server_hooks hooks;
    std::string seen;
    hooks.on_handler_error = [&](const posix::socket_address&, std::exception_ptr e) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            seen = x.what();
        }
        throw std::runtime_error("the call function failed");
    };
    asio::server s =
        asio::server::create_sock(ctx, loopback(), o, asio::line_protocol_sock_handler(), hooks);
    client keeps(s.listening_on_address());
    client fails(s.listening_on_address());
    keeps.send("a\n");
    CHECK(run_until(ctx, [&] { return keeps.poll_received() == "a\n"; }));
    fails.send("fail\n");
    CHECK(run_until_thrown(ctx) == "the call function failed");
    CHECK(seen == "fail requested");
    CHECK(s.is_closed());
    keeps.send("b\n");  // existing connections keep running
    CHECK(run_until(ctx, [&] { return keeps.poll_received() == "a\nb\n"; }));
}

TEST_CASE("options are refused before any descriptor is opened") {
    const std::size_t before = open_descriptors();
    net::io_context ctx;
    const std::size_t with_context = open_descriptors();
    core::options o;
    o.max_connections = 4;
    o.max_accepts_per_batch = 0;
    o.on_handler_error = core::error_policy::ignore;
    CHECK_THROWS_WITH_AS(static_cast<void>(asio::server::create_sock(
                             ctx, loopback(), o, asio::line_protocol_sock_handler())),
                         "max_accepts_per_batch must be at least 1 (got 0)", asio::creation_error);
    CHECK(open_descriptors() == with_context);
    static_cast<void>(before);
}

}  // namespace berth::asio_test
