#include "berth/sim/swarm.hpp"

#include <sstream>
#include <string>

#include "berth/line_protocol.hpp"
#include "berth/sim/kernel.hpp"
#include "berth/sim/server.hpp"

namespace berth::sim {

namespace {

constexpr time_ns ms = core::ns_per_ms;
// The bounds of a run. Every client script ends well within the active phase's
// bound; the liveness phase's bound covers the longest final flush and SYN retry.
constexpr time_ns active_phase_max_ns = 300 * core::ns_per_s;
constexpr time_ns liveness_phase_max_ns = 600 * core::ns_per_s;
constexpr std::uint64_t steps_max = 2'000'000;

std::uint32_t rate(prng& r) {
    // Off half the time; otherwise between 0.1% and 20% of calls.
    return r.below(2) == 0 ? 0 : static_cast<std::uint32_t>(r.between(1'000, 200'000));
}

client_plan plan_client(prng& r) {
    client_plan c;
    c.start_ns = r.between(0, 2'000) * ms;
    c.read_replies = r.below(4) != 0;
    c.read_timeout_ns = r.between(1, 500) * ms;
    const auto steps = r.below(7);
    for (std::uint64_t i = 0; i < steps; ++i) {
        client_step s;
        const auto pick = r.below(100);
        if (pick < 35) {
            s.action = client_action::echo;
        } else if (pick < 47) {
            s.action = client_action::sleep;
            s.amount = static_cast<std::uint32_t>(r.between(0, 50));
        } else if (pick < 60) {
            s.action = client_action::pause;
            s.amount = static_cast<std::uint32_t>(r.between(0, 300));
        } else if (pick < 72) {
            s.action = client_action::quit;
        } else if (pick < 82) {
            s.action = client_action::fail;
        } else if (pick < 89) {
            s.action = client_action::flood;
            s.amount = static_cast<std::uint32_t>(r.between(10, 300));
        } else if (pick < 95) {
            s.action = client_action::close;
        } else {
            s.action = client_action::reset;
        }
        c.steps.push_back(s);
    }
    return c;
}

}  // namespace

swarm_plan plan_for_seed(std::uint64_t seed) {
    prng r = make_stream(seed, stream::swarm);
    swarm_plan p;
    kernel_config& k = p.world.kernel;
    k.fd_limit = static_cast<std::uint32_t>(r.between(3, 40));
    k.socket_buffer_bytes = static_cast<std::uint32_t>(r.between(256, 16'384));
    k.on_listen_overflow = r.below(4) == 0 ? listen_overflow::refuse : listen_overflow::retry;
    k.syn_retry_initial_ns = r.between(10, 1'000) * ms;
    k.syn_retries_max = static_cast<std::uint32_t>(r.between(0, 6));
    k.latency_max_ns = r.below(3) == 0 ? 0 : r.between(1, 200'000);

    fault_config& f = p.world.faults;
    f.enabled = r.below(4) != 0;
    f.accept_nothing_there_per_million = rate(r);
    f.accept_per_connection_per_million = rate(r);
    f.accept_out_of_resources_per_million = rate(r);
    f.accept_fatal_per_million = r.below(20) == 0 ? 20'000 : 0;
    f.spurious_wakeup_per_million = rate(r);

    core::options& o = p.opts;
    o.max_connections =
        r.below(5) == 0 ? core::max_connections_unset : static_cast<std::uint32_t>(r.between(1, 8));
    o.max_accepts_per_batch = static_cast<std::uint32_t>(r.between(1, 4));
    o.backlog = static_cast<std::int32_t>(r.between(0, 8));
    o.drop_incoming_connections = r.below(10) == 0;
    const auto policy = r.below(10);
    o.on_handler_error = policy < 4   ? core::error_policy::ignore
                         : policy < 8 ? core::error_policy::call
                                      : core::error_policy::raise;
    o.on_accept_exhaustion =
        r.below(2) == 0 ? core::exhaustion_mode::back_off : core::exhaustion_mode::shed;
    o.buffer_age_limit_ns = r.below(4) == 0 ? core::unlimited_age_ns : r.between(20, 500) * ms;
    o.final_flush_timeout_ns = r.between(0, 2'000) * ms;
    p.stream_form = r.below(2) == 0;
    p.call_hook_throws = o.on_handler_error == core::error_policy::call && r.below(8) == 0;

    if (r.below(3) != 0) {
        p.close_at_ns = r.between(0, 3'000) * ms;
        p.close_existing = r.below(2) == 0;
    }
    p.liveness_close_existing = r.below(2) == 0;
    const auto toggles = r.below(4);
    for (std::uint64_t i = 0; i < toggles; ++i)
        p.drop_toggles_ns.push_back(r.between(0, 2'500) * ms);
    const auto clients = r.between(1, 24);
    for (std::int64_t i = 0; i < clients; ++i)
        p.clients.push_back(plan_client(r));
    return p;
}

std::string describe(const swarm_plan& p) {
    std::ostringstream os;
    os << "fd_limit=" << p.world.kernel.fd_limit << " buffer=" << p.world.kernel.socket_buffer_bytes
       << " overflow="
       << (p.world.kernel.on_listen_overflow == listen_overflow::retry ? "retry" : "refuse")
       << " faults=" << (p.world.faults.enabled ? "on" : "off") << " max_connections="
       << (p.opts.max_connections == core::max_connections_unset
               ? std::string("default")
               : std::to_string(p.opts.max_connections))
       << " batch=" << p.opts.max_accepts_per_batch << " backlog=" << p.opts.backlog
       << " policy=" << core::to_string(p.opts.on_handler_error)
       << " exhaustion=" << core::to_string(p.opts.on_accept_exhaustion)
       << " form=" << (p.stream_form ? "create" : "create_sock") << " clients=" << p.clients.size()
       << " close_at_ms=" << (p.close_at_ns < 0 ? -1 : p.close_at_ns / ms)
       << " drop_toggles=" << p.drop_toggles_ns.size();
    return os.str();
}

void run_stats::add(const run_stats& o) {
    steps += o.steps;
    events += o.events;
    accepted += o.accepted;
    dropped += o.dropped;
    handler_ok += o.handler_ok;
    handler_errors += o.handler_errors;
    for (std::size_t i = 0; i < accept_errors.size(); ++i)
        accept_errors[i] += o.accept_errors[i];
    back_off_pauses += o.back_off_pauses;
    closes += o.closes;
    raised += o.raised;
    clients += o.clients;
    connects_failed += o.connects_failed;
}

namespace {

// Runs the world until `done`, counting the errors that propagate out of it (the
// `raise` policy, fatal accept errors, a throwing `call` hook): a raised error is
// an outcome of the run, not a failure of it.
bool run_phase(world& w, const std::function<bool()>& done, time_ns limit_ns, run_stats& stats) {
    const time_ns until_ns = w.now_ns() + limit_ns;
    for (int i = 0; i < 10'000; ++i) {
        try {
            return w.run_until(done, until_ns - w.now_ns(), steps_max);
        } catch (const check_failure&) {
            throw;
        } catch (const std::exception&) {
            ++stats.raised;
        }
    }
    return done();
}

}  // namespace

run_result run_swarm(std::uint64_t seed, const run_options& options) {
    run_result result;
    const swarm_plan plan = plan_for_seed(seed);
    world w(seed, plan.world);
    w.tracer().set_recording(options.record);
    w.tracer().set_step_hashes(options.step_hashes);
    client_tally tally;
    std::uint64_t calls = 0;
    try {
        server_hooks hooks;
        const bool throws = plan.call_hook_throws;
        hooks.on_handler_error = [&calls, throws](const address&, std::exception_ptr) {
            if (throws && ++calls % 3 == 1) throw std::runtime_error("call hook failed");
        };
        server s = plan.stream_form
                       ? server::create(w, "127.0.0.1:0", plan.opts, line_protocol_handler(), hooks)
                       : server::create_sock(w, "127.0.0.1:0", plan.opts,
                                             line_protocol_sock_handler(), hooks);
        const std::string target = s.listening_on_address().to_string();
        for (std::size_t i = 0; i < plan.clients.size(); ++i) {
            w.spawn(run_client(w, target, plan.clients[i], static_cast<std::uint32_t>(i), tally));
        }
        if (plan.close_at_ns >= 0) {
            w.post_at(plan.close_at_ns,
                      [s, existing = plan.close_existing]() mutable { s.close(existing); });
        }
        bool drop = plan.opts.drop_incoming_connections;
        for (const time_ns at : plan.drop_toggles_ns) {
            drop = !drop;
            w.post_at(at, [s, drop]() mutable { s.set_drop_incoming_connections(drop); });
        }

        const auto clients_done = [&] { return tally.finished == plan.clients.size(); };
        if (!run_phase(w, clients_done, active_phase_max_ns, result.stats)) {
            throw check_failure("the clients did not finish within the active phase", w.steps());
        }

        // Liveness: no more faults, the server closed; everything must wind down.
        w.net().faults().enabled = false;
        s.close(plan.liveness_close_existing);
        const auto wound_down = [&] {
            return s.close_completed() && s.all_handlers_finished() && w.tasks_running() == 0 &&
                   w.net().fds_in_use() == 0 && s.num_connections() == 0;
        };
        if (!run_phase(w, wound_down, liveness_phase_max_ns, result.stats)) {
            std::ostringstream os;
            os << "liveness: the run did not wind down (close_completed=" << s.close_completed()
               << " handlers_finished=" << s.all_handlers_finished()
               << " clients_running=" << w.tasks_running()
               << " descriptors=" << w.net().fds_in_use() << ")\n"
               << s;
            throw check_failure(os.str(), w.steps());
        }
        // Whatever is still scheduled must be finite and harmless.
        static_cast<void>(run_phase(
            w, [&] { return w.idle(); }, liveness_phase_max_ns, result.stats));
        if (!w.idle()) {
            throw check_failure("liveness: events still scheduled after the run wound down",
                                w.steps());
        }

        const core::statistics& st = s.stats();
        run_stats& rs = result.stats;
        rs.events = s.events_handled();
        rs.accepted = st.accepted;
        rs.dropped = st.dropped + st.shed + st.closed_after_close;
        rs.handler_ok = st.handler_ok;
        rs.handler_errors = st.handler_errors;
        rs.accept_errors = st.accept_errors;
        rs.back_off_pauses = st.back_off_pauses;
        rs.closes = s.close_calls();
    } catch (const check_failure& e) {
        result.ok = false;
        result.failure = std::string(e.what()) + " (at step " + std::to_string(e.step()) +
                         ", virtual time " + std::to_string(w.now_ns()) +
                         " ns)\nplan: " + describe(plan);
    } catch (const std::exception& e) {
        result.ok = false;
        result.failure =
            std::string("unexpected exception: ") + e.what() + "\nplan: " + describe(plan);
    }
    result.stats.steps = w.steps();
    result.stats.clients = plan.clients.size();
    result.stats.connects_failed = tally.connects_failed;
    result.trace_hash = w.tracer().hash();
    result.trace = std::move(w.tracer());
    return result;
}

}  // namespace berth::sim
