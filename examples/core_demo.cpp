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
//
// Then a second server, of the `create` form, whose handlers write through a
// buffered writer the core keeps the books of: a handler's end waits for its
// writer's final flush, a write beyond the buffer limit fails its connection (and a
// write after that is late), and a final flush that runs out of time closes the
// socket with bytes still unsent.
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

void run_create_scenario(demo_world& w) {
    w.start("wait_readable");

    w.advance_to(1 * ms);
    w.clients_arrive(2);
    w.readable("accept_batch(max 2)");
    w.accept_next("");
    w.accept_next("");
    w.batch_done("start_handler(0.1 c1), start_handler(1.1 c2), notice(at_limit)");

    // c1 writes more than the kernel takes at once; its oldest byte sets the timer.
    w.advance_to(2 * ms);
    w.handler_writes("c1", 3000, "timer(t=2002.000ms)");
    w.advance_to(3 * ms);
    w.kernel_takes("c1", 1000, "timer(t=2002.000ms)");
    // The handler is done, its writer is not: the socket stays open for the final
    // flush, for at most final_flush_timeout (1 s).
    w.advance_to(4 * ms);
    w.handler_returns("c1", outcome::ok, "timer(t=1004.000ms)");
    w.advance_to(5 * ms);
    w.kernel_takes("c1", 2000, "close_socket(0.1 c1)");
    w.advance_to(5200 * us);
    w.socket_closed("c1", "release_connection(0.1 c1 ok), wait_readable");

    // c2 writes more than buffer_limit_bytes (4096): the writer fails the connection
    // at once; what c2's handler writes after that is late.
    w.advance_to(6 * ms);
    w.handler_writes("c2", 5000, "close_socket(1.1 c2)");
    w.advance_to(6100 * us);
    w.handler_writes("c2", 10, "notice(late_write 1.1)");
    w.socket_closed("c2", "");
    w.advance_to(7 * ms);
    w.handler_returns("c2", outcome::ok,
                      "notice(late_handler_result 1.1), release_connection(1.1 c2 error by the "
                      "writer (too_full: 5000 bytes refused, 0 held, limit 4096), policy call)");

    // c3's peer reads nothing: the final flush gives up after a second.
    w.advance_to(8 * ms);
    w.clients_arrive(1);
    w.readable("accept_batch(max 2)");
    w.accept_next("");
    w.accept_fails(EAGAIN, "");
    w.batch_done("start_handler(0.2 c3), wait_readable");
    w.advance_to(9 * ms);
    w.handler_writes("c3", 500, "timer(t=2009.000ms)");
    w.advance_to(10 * ms);
    w.handler_returns("c3", outcome::ok, "timer(t=1010.000ms)");
    w.timer_fires("close_socket(0.2 c3)");
    w.socket_closed("c3", "release_connection(0.2 c3 ok)");

    w.advance_to(1100 * ms);
    w.close(false, "close_listener");
    w.listener_closed("complete_close, complete_handlers_finished");

    berth::core::statistics expected;
    expected.accepted = 3;
    expected.handlers_started = 3;
    expected.handler_ok = 2;      // c1, c3
    expected.handler_errors = 1;  // c2, too full
    expected.late_handler_results = 1;
    expected.late_writes = 1;
    expected.writer_failures = 1;
    expected
        .accept_errors[static_cast<std::size_t>(berth::core::accept_error_class::nothing_there)] =
        1;
    expected.times_at_limit = 1;
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
    berth::core::options create_opts = opts;
    create_opts.max_accepts_per_batch = 2;
    create_opts.buffer_age_limit_ns = 2 * berth::core::ns_per_s;
    create_opts.buffer_limit_bytes = 4096;
    create_opts.final_flush_timeout_ns = berth::core::ns_per_s;
    if (const auto error = berth::core::validate(create_opts)) {
        std::cerr << "berth-core-demo: bad options: " << error->message << '\n';
        return EXIT_FAILURE;
    }
    std::cout << "\nberth-core-demo, the create form: max_connections 2, max_accepts_per_batch 2, "
                 "buffer_age_limit 2 s, buffer_limit_bytes 4096, final_flush_timeout 1 s\n\n";
    try {
        demo_world world(create_opts, std::cout, berth::core::connection_form::reader_writer);
        run_create_scenario(world);
    } catch (const berth::demo::scenario_failure& failure) {
        std::cout.flush();
        std::cerr << "berth-core-demo: FAILED at " << failure.what() << '\n';
        return EXIT_FAILURE;
    } catch (const std::exception& e) {
        std::cerr << "berth-core-demo: FAILED: " << e.what() << '\n';
        return EXIT_FAILURE;
    }
    std::cout << "\nberth-core-demo: both scenarios ended as expected\n";
    return EXIT_SUCCESS;
}
