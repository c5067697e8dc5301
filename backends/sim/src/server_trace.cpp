// What the simulated server did, for the world's trace (berth/sim/trace.hpp) and
// its checks: every event the core is fed and every action it hands out, as one
// record each. A std::visit over each variant: a new kind of event or action is a
// compile error here until it is traced.
#include <string>

#include "berth/engine/connection.hpp"
#include "io.hpp"

namespace berth::sim {

namespace {

std::uint64_t key(core::connection_id id) {
    return (static_cast<std::uint64_t>(id.generation) << 32) | id.index;
}

template <typename... F>
struct overloaded : F... {
    using F::operator()...;
};
template <typename... F>
overloaded(F...) -> overloaded<F...>;

}  // namespace

void sim_io::observe(const core::event& ev) {
    namespace e = core::events;
    trace& t = world_.tracer();
    const time_ns now = world_.now_ns();
    std::visit(
        overloaded{
            [&](const e::listener_readable&) {
                t.record(now, trace_kind::listener_readable, world_.net().queue_length(listener_));
            },
            [&](const e::socket_accepted& x) { t.record(now, trace_kind::accepted, x.socket); },
            [&](const e::socket_shed&) { t.record(now, trace_kind::shed); },
            [&](const e::accept_failed& x) {
                t.record(now, trace_kind::accept_error, static_cast<std::uint64_t>(x.error_value));
            },
            [&](const e::batch_done&) { t.record(now, trace_kind::batch_done); },
            [&](const e::handler_returned& x) {
                t.record(now, trace_kind::handler_end, key(x.id),
                         x.result == core::outcome::error ? 1 : 0);
            },
            [&](const e::bytes_buffered& x) {
                t.record(now, trace_kind::buffered, key(x.id), x.bytes);
            },
            [&](const e::bytes_flushed& x) {
                t.record(now, trace_kind::flushed, key(x.id), x.bytes);
            },
            [&](const e::write_failed& x) {
                t.record(now, trace_kind::write_failed, key(x.id),
                         static_cast<std::uint64_t>(x.error_value));
            },
            [&](const e::extra_completion& x) {
                t.record(now, trace_kind::extra_completion, key(x.id));
            },
            [&](const e::socket_closed& x) { t.record(now, trace_kind::socket_closed, key(x.id)); },
            [&](const e::listener_closed&) { t.record(now, trace_kind::listener_closed); },
            [&](const e::close_requested& x) {
                ++close_calls_;
                close_called_ = true;
                t.record(now, trace_kind::close_called, x.close_existing_connections ? 1 : 0,
                         static_cast<std::uint64_t>(x.drain_timeout_ns));
            },
            [&](const e::drop_mode_set& x) {
                t.record(now, trace_kind::drop_set, x.drop_incoming_connections ? 1 : 0);
            },
            [&](const e::timer_fired&) { t.record(now, trace_kind::timer_fired); },
            [&](const e::reserve_held& x) {
                t.record(now, trace_kind::reserve, 1, x.held ? 1 : 0);
            },
        },
        ev);
}

void sim_io::observe(const core::action& a) {
    namespace act = core::actions;
    trace& t = world_.tracer();
    const time_ns now = world_.now_ns();
    std::visit(
        overloaded{
            [&](const act::idle&) { trace_counters(); },
            [&](const act::wait_readable&) { t.record(now, trace_kind::listener_wait); },
            [&](const act::hold_reserve&) { t.record(now, trace_kind::reserve, 0, 1); },
            [&](const act::release_reserve&) { t.record(now, trace_kind::reserve, 0, 0); },
            [&](const act::accept_batch& x) {
                t.record(now, trace_kind::accept_batch, x.max_sockets, x.shed ? 1 : 0);
            },
            [&](const act::start_handler& x) {
                // SEMANTICS.md section 8: no handler starts after close.
                if (close_called_) world_.fail("a handler was started after close");
                t.record(now, trace_kind::handler_start, key(x.id), x.socket);
            },
            [&](const act::close_socket& x) {
                t.record(now, trace_kind::socket_close, key(x.id), x.handler_started ? 1 : 0);
            },
            [&](const act::close_dropped_socket& x) {
                t.record(now, trace_kind::dropped_close, x.socket);
            },
            [&](const act::close_listener&) { t.record(now, trace_kind::listener_close); },
            [&](const act::release_connection& x) {
                t.record(now, trace_kind::release, key(x.id), static_cast<std::uint64_t>(x.result),
                         static_cast<std::uint64_t>(x.policy));
            },
            [&](const act::notice& x) {
                t.record(now, trace_kind::notice, static_cast<std::uint64_t>(x.kind),
                         static_cast<std::uint64_t>(x.error_value));
            },
            [&](const act::raise_accept_error& x) {
                t.record(now, trace_kind::raised, 2, static_cast<std::uint64_t>(x.error_value));
            },
            [&](const act::complete_close&) { t.record(now, trace_kind::complete_close); },
            [&](const act::complete_handlers_finished&) {
                t.record(now, trace_kind::complete_handlers);
            },
        },
        a);
}

void sim_io::trace_counters() {
    const core::server& c = engine().core();
    const std::uint64_t counters = (static_cast<std::uint64_t>(c.num_connections()) << 40) ^
                                   (static_cast<std::uint64_t>(world_.net().fds_in_use()) << 20) ^
                                   world_.net().queue_length(listener_);
    if (counters == last_counters_) return;
    last_counters_ = counters;
    world_.tracer().record(world_.now_ns(), trace_kind::counters, c.num_connections(),
                           world_.net().fds_in_use(), world_.net().queue_length(listener_));
}

}  // namespace berth::sim
