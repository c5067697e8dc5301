// The native create_sock form on Asio: a boost::asio::awaitable handler on the
// connected asio::socket runs on the same engine as the portable forms, so the
// limits, close(true) and the error policy (call, raise) apply to it unchanged.
#include <boost/asio/buffer.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/system_error.hpp>

#include "asio_test_support.hpp"
#include "portable_scenarios.hpp"

namespace berth::asio_test {

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace {

core::options native_options(std::uint32_t connections_max, core::error_policy policy) {
    core::options o;
    o.max_connections = connections_max;
    o.on_handler_error = policy;
    return o;
}

// Echoes until the peer's end; a line "fail" throws.
net::awaitable<void> echo(address, asio::socket& sock) {
    std::array<char, 256> buffer{};
    for (;;) {
        boost::system::error_code ec;
        const std::size_t n = co_await sock.async_read_some(
            net::buffer(buffer), net::redirect_error(net::use_awaitable, ec));
        if (ec) co_return;  // the end of the stream, or the server closed it
        const std::string_view got(buffer.data(), n);
        if (got == "fail\n") throw std::runtime_error("native handler failed");
        co_await net::async_write(sock, net::buffer(got), net::use_awaitable);
    }
}

}  // namespace

TEST_CASE("a native Asio handler is held to max_connections, and a freed slot admits the next") {
    const std::size_t before = open_descriptors();
    {
        net::io_context ctx;
        std::vector<address> peers;
        asio::server s = asio::server::create_sock(
            ctx, loopback(), native_options(1, core::error_policy::ignore),
            asio::native_handler([&](address p, asio::socket& sock) {
                peers.push_back(p);
                return echo(p, sock);
            }));
        peer first(s.listening_on_address());
        first.send("one\n");
        REQUIRE(run_until(ctx, [&] { return first.received() == "one\n"; }));
        peer second(s.listening_on_address());
        second.send("two\n");
        static_cast<void>(run_until(
            ctx, [] { return false; }, 100ms));
        CHECK(second.received().empty());  // waits in the backlog
        CHECK(s.num_connections() == 1);
        CHECK(s.stats().times_at_limit == 1);
        first.close();  // the handler sees the end and returns: the slot frees
        CHECK(run_until(ctx, [&] { return second.received() == "two\n"; }));
        REQUIRE(peers.size() == 2);
        CHECK(peers[1] == second.local_address());
        CHECK(s.stats().handler_ok == 1);
        CHECK(close_all(ctx, s));
        CHECK(s.stats().handler_ok == 2);
        CHECK(second.ended());
        CHECK(runs_out_of_work(ctx));
    }
    CHECK(open_descriptors() == before);
}

TEST_CASE("close(true) closes a native Asio handler's socket: its read fails and it returns") {
    const std::size_t before = open_descriptors();
    {
        net::io_context ctx;
        boost::system::error_code read_error;
        bool open_after = true;
        bool returned = false;
        asio::server s = asio::server::create_sock(
            ctx, loopback(), native_options(2, core::error_policy::ignore),
            asio::native_handler([&](address, asio::socket& sock) -> net::awaitable<void> {
                std::array<char, 16> buffer{};
                static_cast<void>(co_await sock.async_read_some(
                    net::buffer(buffer), net::redirect_error(net::use_awaitable, read_error)));
                open_after = sock.is_open();
                returned = true;
            }));
        peer c(s.listening_on_address());
        REQUIRE(run_until(ctx, [&] { return s.num_connections() == 1; }));
        static_cast<void>(run_until(
            ctx, [] { return false; }, 20ms));
        CHECK_FALSE(returned);  // blocked in its read
        bool closed = false;
        bool finished = false;
        s.close(true, [&] { closed = true; });
        s.handlers_finished([&] { finished = true; });
        CHECK(run_until(ctx, [&] { return closed && finished; }));
        CHECK(returned);
        CHECK(read_error == net::error::operation_aborted);
        CHECK_FALSE(open_after);
        CHECK(c.ended());
        CHECK(s.num_connections() == 0);
        CHECK(s.stats().handler_ok == 1);
        CHECK(runs_out_of_work(ctx));
    }
    CHECK(open_descriptors() == before);
}

TEST_CASE("a native Asio handler's exception goes to call with its peer, at once or later") {
    const std::size_t before = open_descriptors();
    {
        net::io_context ctx;
        test::error_log errors;
        bool throw_at_once = false;
        asio::server s = asio::server::create_sock(
            ctx, loopback(), native_options(2, core::error_policy::call),
            asio::native_handler([&](address p, asio::socket& sock) -> net::awaitable<void> {
                // Not a coroutine: throwing here is failing before the awaitable exists.
                if (throw_at_once) throw std::runtime_error("failed before the awaitable");
                return echo(p, sock);
            }),
            errors.hooks());
        peer later(s.listening_on_address());
        later.send("fail\n");
        REQUIRE(run_until(ctx, [&] { return errors.entries.size() == 1; }));
        CHECK(errors.entries[0].what == "native handler failed");
        CHECK(errors.entries[0].peer == later.local_address());
        CHECK(run_until(ctx, [&] { return later.ended(); }));
        throw_at_once = true;
        peer at_once(s.listening_on_address());
        REQUIRE(run_until(ctx, [&] { return errors.entries.size() == 2; }));
        CHECK(errors.entries[1].what == "failed before the awaitable");
        CHECK(errors.entries[1].peer == at_once.local_address());
        CHECK(run_until(ctx, [&] { return at_once.ended(); }));
        CHECK(s.stats().handler_errors == 2);
        CHECK(s.num_connections() == 0);
        CHECK_FALSE(s.is_closed());
        CHECK(close_all(ctx, s));
        CHECK(runs_out_of_work(ctx));
    }
    CHECK(open_descriptors() == before);
}

TEST_CASE("raise: a native Asio handler's exception propagates out of run() and closes") {
    const std::size_t before = open_descriptors();
    {
        net::io_context ctx;
        asio::server s =
            asio::server::create_sock(ctx, loopback(), native_options(2, core::error_policy::raise),
                                      asio::native_handler(echo));
        peer c(s.listening_on_address());
        c.send("fail\n");
        CHECK(run_until_thrown(ctx) == "native handler failed");
        CHECK(s.is_closed());
        CHECK(s.num_connections() == 0);
        CHECK(s.listening_socket() == -1);
        bool finished = false;
        s.handlers_finished([&] { finished = true; });
        CHECK(run_until(ctx, [&] { return finished; }));
        CHECK(c.ended());
        CHECK(runs_out_of_work(ctx));
    }
    CHECK(open_descriptors() == before);
}

}  // namespace berth::asio_test
