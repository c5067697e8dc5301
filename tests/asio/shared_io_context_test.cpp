// docs/asio.md: several servers may share one io_context. Each keeps its own
// limits and counts while both serve clients in the same turns of the context.
#include <array>
#include <memory>
#include <string>

#include "asio_test_support.hpp"
#include "berth/line_protocol.hpp"

namespace berth::asio_test {

namespace net = boost::asio;

namespace {

asio::server make_server(net::io_context& ctx, std::uint32_t connections_max) {
    core::options o;
    o.max_connections = connections_max;
    o.on_handler_error = core::error_policy::ignore;
    return asio::server::create(ctx, loopback(), o, line_protocol_handler());
}

}  // namespace

TEST_CASE("two servers on one io_context serve at once, each within its own limit") {
    const std::size_t before = open_descriptors();
    {
        net::io_context ctx;
        asio::server a = make_server(ctx, 2);
        asio::server b = make_server(ctx, 3);
        REQUIRE(a.listening_on().port != b.listening_on().port);

        // One client more than each limit: the last of each waits in the backlog.
        std::array<std::unique_ptr<peer>, 3> to_a;
        std::array<std::unique_ptr<peer>, 4> to_b;
        for (auto& c : to_a)
            c = std::make_unique<peer>(a.listening_on_address());
        for (auto& c : to_b)
            c = std::make_unique<peer>(b.listening_on_address());
        for (std::size_t i = 0; i < to_a.size(); ++i)
            to_a[i]->send("a" + std::to_string(i) + "\n");
        for (std::size_t i = 0; i < to_b.size(); ++i)
            to_b[i]->send("b" + std::to_string(i) + "\n");

        // Both servers' clients within the limits are answered in the same run.
        REQUIRE(run_until(ctx, [&] {
            return to_a[0]->received() == "a0\n" && to_a[1]->received() == "a1\n" &&
                   to_b[0]->received() == "b0\n" && to_b[1]->received() == "b1\n" &&
                   to_b[2]->received() == "b2\n";
        }));
        CHECK(a.num_connections() == 2);
        CHECK(b.num_connections() == 3);
        CHECK(a.stats().accepted == 2);
        CHECK(b.stats().accepted == 3);
        CHECK(a.stats().times_at_limit == 1);
        CHECK(b.stats().times_at_limit == 1);
        CHECK(to_a[2]->received().empty());
        CHECK(to_b[3]->received().empty());

        // A slot freed on `a` lets a's waiting client in; b is not affected.
        to_a[0]->send("quit\n");
        REQUIRE(run_until(ctx, [&] { return to_a[2]->received() == "a2\n"; }));
        CHECK(to_a[0]->received() == "a0\nbye\n");
        CHECK(a.stats().accepted == 3);
        CHECK(a.stats().handler_ok == 1);
        CHECK(b.stats().accepted == 3);
        CHECK(b.stats().handler_ok == 0);
        CHECK(to_b[3]->received().empty());

        // Closing `b` lets neither server's counts leak into the other's.
        bool b_finished = false;
        b.close(true, [] {});
        b.handlers_finished([&] { b_finished = true; });
        REQUIRE(run_until(ctx, [&] { return b_finished; }));
        CHECK(b.num_connections() == 0);
        CHECK(b.stats().handlers_started == 3);
        CHECK(b.stats().handler_ok == 3);
        CHECK_FALSE(a.is_closed());
        CHECK(a.num_connections() == 2);
        to_a[1]->send("still\n");
        REQUIRE(run_until(ctx, [&] { return to_a[1]->received() == "a1\nstill\n"; }));

        bool a_finished = false;
        a.close(true, [] {});
        a.handlers_finished([&] { a_finished = true; });
        REQUIRE(run_until(ctx, [&] { return a_finished; }));
        CHECK(a.stats().handlers_started == 3);
        CHECK(a.stats().handler_ok == 3);
        CHECK(a.invariant());
        CHECK(b.invariant());
        for (auto& c : to_a)
            c->close();
        for (auto& c : to_b)
            c->close();
    }
    CHECK(open_descriptors() == before);
}

}  // namespace berth::asio_test
