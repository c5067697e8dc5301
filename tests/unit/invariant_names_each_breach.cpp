// check_invariant (SEMANTICS.md section 9) against broken states: for each of its
// checks, a valid state reached by events, one field corrupted through the test
// seam (detail/test_access.hpp), and the sentence check_invariant must return.
// Each corruption is chosen so that no earlier check fires first: the expected
// sentence names exactly the check under test, so deleting any one check fails
// its row.
#include <cerrno>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "berth/core/detail/test_access.hpp"
#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;
using core::detail::handler_state;
using core::detail::late_write_state;
using core::detail::list_tag;
using core::detail::result_state;
using core::detail::socket_state;
using core::detail::test_access;

namespace {

// The valid states the corruptions start from.
enum class start : std::uint8_t {
    running,           // two connections running in slots 0 and 1, socket form
    one_freed,         // slot 0 freed, slot 1 running
    admitted,          // one connection admitted, its start not pulled
    closed_unstarted,  // `admitted`, then closed before the start was pulled
    mid_batch,         // `running`, and a batch that has accepted one socket
    dropping,          // `running` in drop mode: a batch of one socket to drop
    release_due,       // `running`, slot 0's release not pulled yet
    close_due,         // `running`, then close(true): both closes not pulled yet
    closed,            // a server with no connection, closed, both completions fired
    writing,           // reader_writer: slot 0's writer holds bytes
    final_flush,       // reader_writer: slot 0's handler returned, its writer flushes
    late_write,        // reader_writer: slot 0 wrote late, its notice not pulled yet
    shedding,          // shed mode, waiting for readability with the reserve held
};

struct world {
    std::unique_ptr<core_driver> driver;
    std::vector<core::connection_id> ids;
    core::server& server() { return driver->server(); }
    std::vector<core::detail::slot>& slots() { return test_access::slots(server()); }
};

// Pulls one action without executing anything but its bookkeeping.
void pull(core::server& s) {
    static_cast<void>(s.poll());
}

world make(start from) {
    world w;
    const bool writer =
        from == start::writing || from == start::final_flush || from == start::late_write;
    core::options o = writer ? writer_options(4) : options_with(4, 2);
    if (from == start::shedding) o.on_accept_exhaustion = core::exhaustion_mode::shed;
    w.driver = std::make_unique<core_driver>(
        o, writer ? core::connection_form::reader_writer : core::connection_form::socket);
    core_driver& d = *w.driver;
    core::server& s = d.server();
    const auto at = [&](const core::event& e) {
        REQUIRE(s.handle(e, d.now_ns()) == core::event_error::none);
    };
    switch (from) {
        case start::admitted:
        case start::closed_unstarted:
            at(ev::listener_readable{});
            pull(s);  // accept_batch
            at(ev::socket_accepted{1});
            at(ev::batch_done{});
            if (from == start::closed_unstarted) at(ev::close_requested{});
            return w;
        case start::closed:
            REQUIRE(d.feed(ev::close_requested{}) == core::event_error::none);
            REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
            return w;
        case start::shedding: return w;
        case start::writing:
        case start::final_flush:
        case start::late_write:
            w.ids = admit(d, {1});
            REQUIRE(d.write(w.ids[0], 10));
            if (from == start::final_flush) {
                REQUIRE(d.feed(ev::handler_returned{w.ids[0], core::outcome::ok}) ==
                        core::event_error::none);
            }
            if (from == start::late_write) {
                REQUIRE(d.write_fails(w.ids[0], EIO) == core::event_error::none);
                at(ev::bytes_buffered{w.ids[0], 1});
            }
            return w;
        default: break;
    }
    w.ids = admit(d, {1, 2});
    REQUIRE(w.ids.size() == 2);
    switch (from) {
        case start::one_freed: static_cast<void>(finish(d, w.ids[0])); break;
        case start::mid_batch:
            at(ev::listener_readable{});
            pull(s);
            at(ev::socket_accepted{3});
            break;
        case start::dropping:
            REQUIRE(d.feed(ev::drop_mode_set{true}) == core::event_error::none);
            at(ev::listener_readable{});
            pull(s);
            at(ev::socket_accepted{3});
            at(ev::accept_failed{EAGAIN});
            at(ev::batch_done{});
            break;
        case start::release_due:
            at(ev::handler_returned{w.ids[0], core::outcome::ok});
            pull(s);  // close_socket
            at(ev::socket_closed{w.ids[0]});
            break;
        case start::close_due: at(ev::close_requested{true, core::no_deadline_ns}); break;
        default: break;
    }
    return w;
}

struct breach {
    const char* expected;
    const char* how;
    start from;
    std::function<void(world&)> corrupt;
};

const std::vector<breach>& breaches() {
    using ta = test_access;
    static const std::vector<breach> all = {
        // One slot's states (check_slot).
        {"a used slot has generation 0", "generation 0", start::running,
         [](world& w) { w.slots()[0].generation = 0; }},
        {"a handler waiting to start is not on the start list", "taken off the list",
         start::admitted, [](world& w) { w.slots()[0].list = list_tag::none; }},
        {"a handler waiting to start has no open socket", "socket closing", start::admitted,
         [](world& w) { w.slots()[0].socket_status = socket_state::close_pending; }},
        {"a connection has a result before its handler started", "result ok", start::admitted,
         [](world& w) { w.slots()[0].result = result_state::ok; }},
        {"a connection closed without handler still has an open socket", "socket open",
         start::closed_unstarted,
         [](world& w) { w.slots()[0].socket_status = socket_state::open; }},
        {"a connection without handler has a result", "result error", start::closed_unstarted,
         [](world& w) { w.slots()[0].result = result_state::error; }},
        {"a returned handler left no result", "returned, undecided", start::running,
         [](world& w) { w.slots()[0].handler = handler_state::returned; }},
        {"a connection with a result still has an open socket and no close pending",
         "result ok, socket open", start::running,
         [](world& w) { w.slots()[0].result = result_state::ok; }},
        {"a writer flushes its last bytes although its handler did not end the connection",
         "decided by the writer", start::final_flush,
         [](world& w) { w.slots()[0].decided_by = core::result_source::writer; }},
        {"a writer flushes its last bytes although its handler did not end the connection",
         "handler running", start::final_flush,
         [](world& w) { w.slots()[0].handler = handler_state::running; }},
        {"a writer still flushes on a socket being closed", "socket closing", start::writing,
         [](world& w) { w.slots()[0].socket_status = socket_state::closing; }},
        {"a late-write notice is owed for a connection without a result", "result undecided",
         start::late_write, [](world& w) { w.slots()[0].result = result_state::undecided; }},
        {"a connection's release list membership disagrees with its state",
         "running, tagged release", start::running,
         [](world& w) { w.slots()[0].list = list_tag::release; }},
        {"a connection's release list membership disagrees with its state",
         "releasable, tagged none", start::release_due,
         [](world& w) { w.slots()[0].list = list_tag::none; }},
        {"a connection's close list membership disagrees with its socket state",
         "close pending, tagged none", start::running,
         [](world& w) { w.slots()[0].socket_status = socket_state::close_pending; }},
        {"a closed socket still holds back the close completion", "closed and held", start::running,
         [](world& w) {
             w.slots()[0].socket_status = socket_state::closed;
             w.slots()[0].held_by_close = true;
         }},
        {"a late-result notice is owed for a handler that has not returned", "running",
         start::running, [](world& w) { w.slots()[0].late_notice_pending = true; }},

        // The options and the slot table.
        {"max_connections < 1", "0", start::running,
         [](world& w) { ta::opts(w.server()).max_connections = 0; }},
        {"max_accepts_per_batch < 1", "0", start::running,
         [](world& w) { ta::opts(w.server()).max_accepts_per_batch = 0; }},
        {"num_connections > max_connections", "5 of 4", start::running,
         [](world& w) { ta::num_connections(w.server()) = 5; }},
        {"more slots than max_connections", "2 slots, limit 1", start::one_freed,
         [](world& w) { ta::opts(w.server()).max_connections = 1; }},
        {"a free slot is not on the free list", "tagged none", start::one_freed,
         [](world& w) { w.slots()[0].list = list_tag::none; }},
        {"a used slot is on the free list", "tagged free", start::running,
         [](world& w) { w.slots()[0].list = list_tag::free; }},
        {"num_connections disagrees with the used slots", "1 of 2", start::running,
         [](world& w) { ta::num_connections(w.server()) = 1; }},
        {"free list size disagrees with the slots", "popped", start::one_freed,
         [](world& w) {
             static_cast<void>(ta::free_list(w.server()).pop_front(w.slots()));
             w.slots()[0].list = list_tag::free;
         }},
        {"start list size disagrees with the slots", "popped", start::admitted,
         [](world& w) {
             static_cast<void>(ta::start_list(w.server()).pop_front(w.slots()));
             w.slots()[0].list = list_tag::start;
         }},
        {"close list size disagrees with the slots", "popped", start::close_due,
         [](world& w) {
             static_cast<void>(ta::close_list(w.server()).pop_front(w.slots()));
             w.slots()[0].list = list_tag::close;
         }},
        {"release list size disagrees with the slots", "popped", start::release_due,
         [](world& w) {
             static_cast<void>(ta::release_list(w.server()).pop_front(w.slots()));
             w.slots()[0].list = list_tag::release;
         }},
        {"the count of sockets holding back close disagrees with the slots", "one more",
         start::close_due, [](world& w) { ++ta::held_by_close(w.server()); }},

        // The writers' books.
        {"a writer with a deadline is missing from the deadline heap", "cancelled", start::writing,
         [](world& w) { ta::writer_deadlines(w.server()).cancel(0); }},
        {"a writer's deadline in the heap is later than its own", "a second later", start::writing,
         [](world& w) {
             core::detail::deadline_heap& h = ta::writer_deadlines(w.server());
             const core::time_ns at_ns = h.deadline_of(0);
             h.cancel(0);
             h.schedule_no_later(0, at_ns + core::ns_per_s);
         }},
        {"a slot has no writer's books", "one books too many", start::writing,
         [](world& w) { ta::writers(w.server()).emplace_back(core::ns_per_s, 1, 0); }},
        {"the writers' deadline heap is out of order", "first two swapped", start::writing,
         [](world& w) {
             // A second writer's deadline, later than the first's, then the swap.
             core_driver& d = *w.driver;
             const auto more = admit(d, {2});
             REQUIRE(more.size() == 1);
             d.set_now_ns(d.now_ns() + core::ns_per_s);
             REQUIRE(d.write(more[0], 10));
             REQUIRE(invariant_breach(w.server()) == "");
             ta::swap_first_two(ta::writer_deadlines(w.server()));
         }},
        {"the writers' deadline heap is out of order", "an entry's position wrong", start::writing,
         [](world& w) { ta::retarget_first(ta::writer_deadlines(w.server()), 3); }},
        {"the writers' deadline heap is out of order", "an entry past the slots", start::writing,
         [](world& w) { ta::retarget_first(ta::writer_deadlines(w.server()), 1000); }},
        {"a socket-form server keeps writers' books", "a writer", start::running,
         [](world& w) { ta::writers(w.server()).emplace_back(core::ns_per_s, 1, 0); }},
        {"a socket-form server keeps writers' books", "a deadline", start::running,
         [](world& w) {
             ta::writer_deadlines(w.server()).resize(2);
             ta::writer_deadlines(w.server()).schedule_no_later(0, core::ns_per_s);
         }},

        // The late-write notice list.
        {"the notice list holds a slot that owes no late-write notice", "a running slot",
         start::running, [](world& w) { ta::notice_head(w.server()) = 0; }},
        {"the notice list holds a slot that owes no late-write notice", "a free slot",
         start::one_freed, [](world& w) { ta::notice_head(w.server()) = 0; }},
        {"the notice list holds a slot that owes no late-write notice", "past the table",
         start::running, [](world& w) { ta::notice_head(w.server()) = 2; }},
        {"the notice list has a cycle", "slot 0 after itself", start::late_write,
         [](world& w) { w.slots()[0].notice_next = 0; }},
        {"a slot owes a late-write notice but is not on the notice list", "list emptied",
         start::late_write,
         [](world& w) { ta::notice_head(w.server()) = core::detail::nil_index; }},

        // The accept step.
        {"batch holds more sockets than max_accepts_per_batch", "three of two", start::mid_batch,
         [](world& w) {
             ta::batch_sockets(w.server()).push_back(4);
             ta::batch_sockets(w.server()).push_back(5);
         }},
        {"batch budget out of range", "0", start::mid_batch,
         [](world& w) { ta::batch_budget(w.server()) = 0; }},
        {"batch budget out of range", "above the batch size", start::mid_batch,
         [](world& w) { ta::batch_budget(w.server()) = 3; }},
        {"batch made more attempts than its budget", "3 of 2", start::mid_batch,
         [](world& w) { ta::batch_attempts(w.server()) = 3; }},
        {"batch holds more sockets than attempts", "1 socket, 0 attempts", start::mid_batch,
         [](world& w) { ta::batch_attempts(w.server()) = 0; }},
        {"a shed batch holds sockets", "marked shed", start::mid_batch,
         [](world& w) { ta::batch_shed(w.server()) = true; }},
        {"batch would overfill the server", "limit lowered", start::mid_batch,
         [](world& w) { ta::opts(w.server()).max_connections = 2; }},
        {"a batch runs while the previous one is being dropped", "dropping", start::mid_batch,
         [](world& w) { ta::dropping_batch(w.server()) = true; }},
        {"batch sockets held outside a batch and not being dropped", "a socket", start::running,
         [](world& w) { ta::batch_sockets(w.server()).push_back(9); }},
        {"drop cursor past the batch", "cursor at the end", start::dropping,
         [](world& w) { ta::drop_cursor(w.server()) = 1; }},

        // Close.
        {"listener closing while the server is open", "closing", start::running,
         [](world& w) { ta::listener(w.server()) = core::listener_state::closing; }},
        {"server closed but its listener is not closing", "closed", start::running,
         [](world& w) { ta::closed(w.server()) = true; }},
        {"an accept step waits after close", "waiting for readability", start::running,
         [](world& w) {
             REQUIRE(w.server().accept_step() == core::accept_phase::waiting_readable);
             ta::closed(w.server()) = true;
             ta::listener(w.server()) = core::listener_state::close_pending;
         }},
        {"an accept step waits after close", "readable", start::running,
         [](world& w) {
             ta::phase(w.server()) = core::accept_phase::readable;
             ta::closed(w.server()) = true;
             ta::listener(w.server()) = core::listener_state::close_pending;
         }},
        {"close completed before the listener closed", "listener closing", start::closed,
         [](world& w) { ta::listener(w.server()) = core::listener_state::closing; }},
        {"handlers_finished fired with connections left", "close not completed", start::closed,
         [](world& w) { ta::close_completed(w.server()) = false; }},
        {"handlers_finished fired with connections left", "a connection", start::running,
         [](world& w) {
             ta::closed(w.server()) = true;
             ta::listener(w.server()) = core::listener_state::closed;
             ta::phase(w.server()) = core::accept_phase::idle;
             ta::close_completed(w.server()) = true;
             ta::handlers_finished(w.server()) = true;
         }},
        {"a fatal accept error is pending on an open server", "pending", start::running,
         [](world& w) { ta::fatal_error_pending(w.server()) = true; }},

        // The reserve.
        {"a server that backs off keeps a reserve", "held", start::running,
         [](world& w) { ta::reserve(w.server()) = core::reserve_state::held; }},
        {"the reserve is released outside a shed batch", "released while waiting", start::shedding,
         [](world& w) { ta::reserve(w.server()) = core::reserve_state::released; }},
    };
    return all;
}

}  // namespace

TEST_CASE("check_invariant names each breach of its invariants, from a valid state") {
    for (const breach& b : breaches()) {
        CAPTURE(b.expected);
        CAPTURE(b.how);
        world w = make(b.from);
        REQUIRE(invariant_breach(w.server()) == "");
        b.corrupt(w);
        CHECK(invariant_breach(w.server()) == b.expected);
    }
}

TEST_CASE("Every state the corruptions start from is valid, and check_invariant says so") {
    for (const start from :
         {start::running, start::one_freed, start::admitted, start::closed_unstarted,
          start::mid_batch, start::dropping, start::release_due, start::close_due, start::closed,
          start::writing, start::final_flush, start::late_write, start::shedding}) {
        CAPTURE(static_cast<int>(from));
        world w = make(from);
        CHECK(invariant_breach(w.server()) == "");
        CHECK(w.server().invariant());
    }
}
