// The accept batch's budget through a real (Asio) server: one batch takes at most
// max_accepts_per_batch, and never more than the free slots; the rest stay queued
// in the kernel and come with later batches; handlers get each peer, in the
// kernel's accept order.
#include "posix_test_support.hpp"
#include "real_server_support.hpp"

namespace berth::posix {
namespace {

using namespace std::chrono_literals;

TEST_CASE("a batch through a real server accepts at most max_accepts_per_batch") {
    test::fd_leak_check leak_check;
    {
        test::line_server srv(test::line_options(100, 3));
        auto clients = srv.queue_clients(5);
        test::wait_accept_queue(srv.s.listening_socket(), 5);
        REQUIRE(srv.run_first_batch());
        CHECK(srv.s.stats().accepted == 3);
        CHECK(srv.s.stats().handlers_started == 3);  // a batch's handlers start together
        // The two left in the queue come with the next batch, which then finds the
        // queue empty: EAGAIN ends it.
        REQUIRE(srv.run_until([&] { return srv.s.stats().accepted == 5; }));
        CHECK(srv.s.stats().accept_errors_of(core::accept_error_class::nothing_there) == 1);
        for (std::size_t i = 0; i < clients.size(); ++i)
            CHECK(test::echoes(srv, *clients[i], "client " + std::to_string(i)));
        // In the kernel's accept order, which is the order they connected in.
        REQUIRE(srv.peers.size() == 5);
        for (std::size_t i = 0; i < clients.size(); ++i)
            CHECK(srv.peers[i] == clients[i]->local_address());
        CHECK(srv.s.invariant());
        CHECK(srv.close_all());
    }
}

TEST_CASE("a batch through a real server never takes more than the free slots") {
    test::fd_leak_check leak_check;
    {
        test::line_server srv(test::line_options(2, 8));
        auto clients = srv.queue_clients(3);
        test::wait_accept_queue(srv.s.listening_socket(), 3);
        REQUIRE(srv.run_first_batch());
        CHECK(srv.s.stats().accepted == 2);
        CHECK(srv.s.stats().times_at_limit == 1);
        static_cast<void>(srv.run_until([] { return false; }, 50ms));
        CHECK(srv.s.stats().accepted == 2);  // full: the server does not ask the kernel
        CHECK(srv.s.num_connections() == 2);
        // The third client is served once a slot is free again.
        clients[0]->send("quit\n");
        CHECK(srv.run_until([&] { return srv.s.stats().accepted == 3; }));
        CHECK(test::echoes(srv, *clients[2], "third"));
        CHECK(srv.peers.back() == clients[2]->local_address());
        CHECK(srv.close_all());
    }
}

TEST_CASE("each accept call uses the budget: injected per-connection errors shorten the batch") {
    test::fd_leak_check leak_check;
    {
        test::line_server srv(test::line_options(100, 3));
        auto clients = srv.queue_clients(3);
        test::wait_accept_queue(srv.s.listening_socket(), 3);
        srv.s.inject_accept_faults(ECONNABORTED, 2);
        REQUIRE(srv.run_first_batch());
        CHECK(srv.s.stats().accepted == 1);  // 2 skipped errors + 1 socket = the budget
        CHECK(srv.s.stats().accept_errors_of(core::accept_error_class::per_connection) == 2);
        // Skipped, not fatal: the two connections the faults stood for were taken
        // and reset; the third is served.
        CHECK(srv.run_until([&] { return clients[0]->ended() && clients[1]->ended(); }));
        CHECK(test::echoes(srv, *clients[2], "after the faults"));
        CHECK(srv.s.stats().accepted == 1);
        CHECK_FALSE(srv.s.is_closed());
        CHECK(srv.close_all());
    }
}

}  // namespace
}  // namespace berth::posix
