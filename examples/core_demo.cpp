// berth-core-demo: the sans-IO core on its own, driven through a scripted day in
// the life of a small server with a virtual clock. Each line is one event and the
// actions the core answered with. Exits 0 when everything happened as scripted,
// 1 (with the reason) when the core did anything else.
//
// The scenario: max_connections 2 and batches of up to 4; five clients arrive,
// two are admitted and three wait in the kernel's backlog; a handler finishes and
// the next client is admitted; a handler fails and the error policy is called;
// drop mode drops a whole batch; accept runs out of descriptors and backs off
// until a timer; then close with close_existing_connections, its completions, and
// the final statistics and description.
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <iostream>

#include "berth/core/server.hpp"
#include "demo_world.hpp"

namespace {

using berth::core::ns_per_ms;
using berth::core::outcome;
using berth::core::time_ns;
using berth::demo::demo_world;

constexpr time_ns us = 1'000;
constexpr time_ns ms = ns_per_ms;

void run_scenario(demo_world& w) {
    w.start("wait_readable");

    // Five clients at once: the server has room for two.
    w.advance_to(1 * ms);
    w.clients_arrive(5);
    w.readable("accept_batch(max 2)");
    w.accept_next("");
    w.accept_next("");
    w.batch_done("start_handler(0.1 c1), start_handler(1.1 c2), notice(at_limit)");
    w.say("server full: c3..c5 wait in the kernel's backlog");

    // c1 is served; its slot goes to c3, the next in the backlog.
    w.advance_to(5 * ms);
    w.handler_returns("c1", outcome::ok, "close_socket(0.1 c1)");
    w.advance_to(5200 * us);
    w.socket_closed("c1", "release_connection(0.1 c1 ok), wait_readable");
    w.late_handler_result("c1");
    w.advance_to(5500 * us);
    w.readable("accept_batch(max 1)");
    w.accept_next("");
    w.batch_done("start_handler(0.2 c3)");

    // c2's handler fails: the policy (call) is applied once its slot is free.
    w.advance_to(8 * ms);
    w.handler_returns("c2", outcome::error, "close_socket(1.1 c2)");
    w.advance_to(8100 * us);
    w.socket_closed("c2", "release_connection(1.1 c2 error, policy call), wait_readable");

    w.advance_to(9 * ms);
    w.handler_returns("c3", outcome::ok, "close_socket(0.2 c3)");
    w.socket_closed("c3", "release_connection(0.2 c3 ok)");

    // Drop mode: the next batch (c4, c5) is accepted and closed at once.
    w.advance_to(10 * ms);
    w.set_drop_mode(true, "");
    w.readable("accept_batch(max 2)");
    w.accept_next("");
    w.accept_next("");
    w.batch_done("close_dropped_socket(c4), close_dropped_socket(c5), wait_readable");
    w.advance_to(11 * ms);
    w.set_drop_mode(false, "");

    // Out of descriptors: keep what was accepted, pause accepting for 5 ms.
    w.advance_to(12 * ms);
    w.clients_arrive(2);
    w.readable("accept_batch(max 2)");
    w.accept_next("");
    w.accept_fails(EMFILE, "notice(accept_resources_exhausted EMFILE)");
    w.batch_done("start_handler(1.2 c6), timer(t=17.000ms)");
    w.say("back-off: no accept before t=17.000ms; c7 waits in the backlog");
    w.advance_to(15 * ms);
    w.clients_arrive(1);
    w.timer_fires("wait_readable");
    w.readable("accept_batch(max 1)");
    w.accept_next("");
    w.batch_done("start_handler(0.3 c7)");

    // Close, closing the connections too; the handlers still run and find their
    // sockets closed. c8, still in the backlog, is refused by the kernel.
    w.advance_to(20 * ms);
    w.show_description();
    w.close(true, "close_listener, close_socket(0.3 c7), close_socket(1.2 c6)");
    w.advance_to(20100 * us);
    w.listener_closed("");
    w.socket_closed("c7", "");
    w.advance_to(20200 * us);
    w.socket_closed("c6", "complete_close");
    w.close(false, "");
    w.advance_to(21 * ms);
    w.handler_returns("c6", outcome::ok, "release_connection(1.2 c6 ok)");
    w.advance_to(22 * ms);
    w.handler_returns("c7", outcome::error,
                      "release_connection(0.3 c7 error, policy call), complete_handlers_finished");

    berth::core::statistics expected;
    expected.accepted = 7;          // c1..c7; c8 never left the backlog
    expected.handlers_started = 5;  // c1, c2, c3, c6, c7
    expected.dropped = 2;           // c4, c5
    expected.handler_ok = 3;        // c1, c3, c6
    expected.handler_errors = 2;    // c2, c7
    expected.accept_errors[static_cast<std::size_t>(
        berth::core::accept_error_class::out_of_resources)] = 1;
    expected.back_off_pauses = 1;
    expected.times_at_limit = 3;  // after c1+c2, after c3, after c7
    w.finish(expected);
}

}  // namespace

int main() {
    berth::core::options opts;
    opts.max_connections = 2;
    opts.max_accepts_per_batch = 4;
    opts.on_handler_error = berth::core::error_policy::call;
    if (const auto error = berth::core::validate(opts)) {
        std::cerr << "berth-core-demo: bad options: " << error->message << '\n';
        return EXIT_FAILURE;
    }
    std::cout << "berth-core-demo: max_connections 2, max_accepts_per_batch 4, "
                 "on_handler_error call\n\n";
    try {
        demo_world world(opts, std::cout);
        run_scenario(world);
    } catch (const berth::demo::scenario_failure& failure) {
        std::cout.flush();
        std::cerr << "berth-core-demo: FAILED at " << failure.what() << '\n';
        return EXIT_FAILURE;
    } catch (const std::exception& e) {
        std::cerr << "berth-core-demo: FAILED: " << e.what() << '\n';
        return EXIT_FAILURE;
    }
    std::cout << "\nberth-core-demo: the scenario ended as expected\n";
    return EXIT_SUCCESS;
}
