// close(), close_finished() and handlers_finished() take any completion token
// (a callback, use_future, use_awaitable, deferred) and never complete inside the
// initiating call, even when the operation is already complete.
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "asio_test_support.hpp"
#include "berth/line_protocol.hpp"

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
    return asio::server::create_sock(ctx, loopback(), test_options(), line_protocol_sock_handler());
}

}  // namespace

TEST_CASE("a callback token completes later, never inside close, even when already closed") {
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
        int closed_again = 0;
        s.close_finished([&] { ++closed_again; });
        int handlers = 0;
        s.handlers_finished([&] { ++handlers; });
        CHECK(closed_again == 0);
        CHECK(handlers == 0);
        CHECK(run_until(ctx, [&] { return closed_again == 1 && handlers == 1; }));
        CHECK(first == 1);  // each completion fires once
        CHECK(runs_out_of_work(ctx));
    }
    CHECK(open_descriptors() == before);
}

TEST_CASE("use_awaitable, use_future and deferred tokens complete close and handlers_finished") {
    const std::size_t before = open_descriptors();
    {
        net::io_context ctx;
        asio::server s = make_server(ctx);
        peer c(s.listening_on_address());
        c.send("hi\n");
        REQUIRE(run_until(ctx, [&] { return c.received() == "hi\n"; }));
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
        CHECK(finished.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
        CHECK(run_until(ctx, [&] {
            return awaited && deferred_done &&
                   finished.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
        }));
        CHECK(c.ended());  // close(true) closed the connection
        CHECK(s.listening_socket() == -1);
        CHECK(s.num_connections() == 0);
        CHECK(s.invariant());
        CHECK(runs_out_of_work(ctx));
    }
    CHECK(open_descriptors() == before);
}

TEST_CASE("a use_future close completes while the io_context runs on another thread") {
    const std::size_t before = open_descriptors();
    {
        net::io_context ctx;
        asio::server s = make_server(ctx);
        // Made before the context runs anywhere: nothing else touches the server after.
        std::future<void> closed = s.close(false, net::use_future);
        std::thread runner([&] { ctx.run(); });
        const bool ready = closed.wait_for(std::chrono::seconds(2)) == std::future_status::ready;
        if (!ready) ctx.stop();
        runner.join();
        CHECK(ready);
        CHECK(ctx.stopped());  // ran out of work: the closed server holds none
    }
    CHECK(open_descriptors() == before);
}

}  // namespace berth::asio_test
