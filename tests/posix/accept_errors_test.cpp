// Accept errors through a real (Asio) server (SEMANTICS.md section 6), made with
// the fault seam (inject_accept_faults) while real clients wait in the kernel's
// queue: running out of descriptors pauses accepting with a growing back-off and
// never spins; a fatal error closes the listener and comes out of run().
#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

#include "berth/errors.hpp"
#include "berth/posix/accept.hpp"
#include "posix_test_support.hpp"
#include "real_server_support.hpp"

namespace berth::posix {
namespace {

TEST_CASE("without shed mode an injected EMFILE backs off, then serves the queued client") {
    test::fd_leak_check leak_check;
    {
        std::vector<core::notice_kind> notices;
        server_hooks hooks;
        hooks.on_notice = [&](const core::actions::notice& n) { notices.push_back(n.kind); };
        test::line_server srv(test::line_options(10, 4), hooks);
        auto clients = srv.queue_clients(1);
        test::wait_accept_queue(srv.s.listening_socket(), 1);
        // Three exhaustions in a row: pauses of 5, 10 and 20 ms.
        srv.s.inject_accept_faults(EMFILE, 3);
        const auto t0 = std::chrono::steady_clock::now();
        CHECK(srv.run_until([&] { return srv.s.stats().accepted == 1; }));
        const auto waited = std::chrono::steady_clock::now() - t0;
        CHECK(waited >= std::chrono::milliseconds(35));
        CHECK(waited < std::chrono::seconds(1));
        CHECK(srv.s.stats().back_off_pauses == 3);
        CHECK(srv.s.stats().accept_errors_of(core::accept_error_class::out_of_resources) == 3);
        CHECK(srv.s.stats().shed == 0);
        // Paused, never spinning: a handful of events per exhaustion.
        CHECK(srv.s.events_handled() < 100);
        CHECK(test::echoes(srv, *clients[0], "after the back-off"));
        CHECK(std::count(notices.begin(), notices.end(),
                         core::notice_kind::accept_resources_exhausted) == 1);
        CHECK(srv.close_all());
    }
}

TEST_CASE("an injected EBADF is fatal: accept_error comes out of run() and the listener closes") {
    test::fd_leak_check leak_check;
    {
        test::line_server srv(test::line_options(10, 4));
        auto clients = srv.queue_clients(1);
        test::wait_accept_queue(srv.s.listening_socket(), 1);
        srv.s.inject_accept_faults(EBADF, 1);
        int raised = 0;
        try {
            static_cast<void>(srv.run_until([] { return false; }));
        } catch (const accept_error& e) {
            raised = e.code().value();
        }
        CHECK(raised == EBADF);
        CHECK(srv.s.is_closed());
        CHECK(srv.s.listening_socket() == -1);
        CHECK(srv.s.stats().accept_errors_of(core::accept_error_class::fatal) == 1);
        CHECK(srv.s.stats().accepted == 0);
        CHECK(srv.run_until([&] { return clients[0]->ended(); }));  // the queue went with it
        CHECK(srv.close_all());
    }
}

TEST_CASE("inject_accept_faults refuses with creation_error once the seam's queue is full") {
    test::fd_leak_check leak_check;
    {
        test::line_server srv(test::line_options(10, 4));
        for (std::uint32_t i = 0; i < accept_faults::runs_max; ++i)
            srv.s.inject_accept_faults(i % 2 == 0 ? EPROTO : EPERM, 1);
        srv.s.inject_accept_faults(EPERM, 5);  // the same errno as the last run: no new run
        CHECK_THROWS_WITH_AS(srv.s.inject_accept_faults(ENOBUFS, 1),
                             "inject_accept_faults: the fault queue holds at most 64 runs of "
                             "equal errno values",
                             creation_error);
        // What was queued is still served, one fault per accept attempt, each
        // taking (and resetting) the client first in the queue: the 70th client
        // gets in after them.
        std::vector<std::unique_ptr<test::peer>> skipped;
        for (std::uint32_t i = 0; i < accept_faults::runs_max + 5; ++i) {
            skipped.push_back(std::make_unique<test::peer>(srv.s.listening_on_address()));
            CHECK(srv.run_until([&] { return skipped.back()->ended(); }));
        }
        test::peer c(srv.s.listening_on_address());
        CHECK(srv.run_until([&] { return srv.s.stats().accepted == 1; }));
        CHECK(srv.s.stats().accept_errors_of(core::accept_error_class::per_connection) ==
              accept_faults::runs_max + 5);
        CHECK(test::echoes(srv, c, "after 69 faults"));
        CHECK(srv.close_all());
    }
}

}  // namespace
}  // namespace berth::posix
