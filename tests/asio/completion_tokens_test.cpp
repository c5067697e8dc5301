// close(), close_finished() and handlers_finished() take any completion token and
// never complete inside the initiating call.
#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "asio_test_support.hpp"
#include "berth/asio/line_protocol.hpp"
#include "berth/asio/server.hpp"

namespace berth::asio_test {

namespace net = boost::asio;

namespace {

core::options test_options() {
    core::options o;
    o.max_connections = 4;
    o.on_handler_error = core::error_policy::ignore;
    return o;
}

asio::server make_server(net::io_context& ctx) {
    return asio::server::create_sock(ctx,
                                     posix::listen_spec::bind_to(posix::bind_address::localhost(),
                                                                 posix::bind_port::chosen_by_os()),
                                     test_options(), asio::line_protocol_sock_handler());
}

}  // namespace

TEST_CASE("a callback completes later, never inside close, even when already closed") {
    const std::size_t before = open_descriptors();
    {
        net::io_context ctx;
        asio::server s = make_server(ctx);
        int first = 0;
        s.close(false, [&] { ++first; });
        CHECK(s.is_closed());
        CHECK(first == 0);
        CHECK(run_until(ctx, [&] { return first == 1; }));
        int second = 0;
        s.close(false, [&] { ++second; });  // idempotent: the first close's completion
        CHECK(second == 0);
        CHECK(run_until(ctx, [&] { return second == 1; }));
        int handlers = 0;
        s.handlers_finished([&] { ++handlers; });
        CHECK(handlers == 0);
        CHECK(run_until(ctx, [&] { return handlers == 1; }));
    }
    CHECK(open_descriptors() == before);
}

TEST_CASE("use_awaitable, use_future and deferred tokens complete close") {
    net::io_context ctx;
    asio::server s = make_server(ctx);
    std::future<void> finished = s.handlers_finished(net::use_future);
    auto deferred_close = s.close_finished(net::deferred);
    bool awaited = false;
    net::co_spawn(
        ctx,
        [&]() -> net::awaitable<void> {
            co_await s.close(true, net::use_awaitable);
            awaited = true;
        },
        net::detached);
    bool deferred_done = false;
    std::move(deferred_close)([&] { deferred_done = true; });
    CHECK(run_until(ctx, [&] {
        return awaited && deferred_done &&
               finished.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    }));
    CHECK(s.listening_socket() == -1);
    CHECK(s.invariant());
}

TEST_CASE("several servers share one io_context and close independently") {
    net::io_context ctx;
    asio::server a = make_server(ctx);
    asio::server b = make_server(ctx);
    client ca(a.listening_on_address());
    client cb(b.listening_on_address());
    ca.send("to a\n");
    cb.send("to b\n");
    CHECK(run_until(
        ctx, [&] { return ca.poll_received() == "to a\n" && cb.poll_received() == "to b\n"; }));
    bool a_done = false;
    a.close(true, [&] { a_done = true; });
    CHECK(run_until(ctx, [&] { return a_done && ca.ended(); }));
    cb.send("b lives\n");
    CHECK(run_until(ctx, [&] { return cb.poll_received() == "to b\nb lives\n"; }));
    CHECK_FALSE(b.is_closed());
    CHECK(b.num_connections() == 1);
}

}  // namespace berth::asio_test
