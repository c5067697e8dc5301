#include "agreement.hpp"

#include <algorithm>
#include <set>
#include <sstream>
#include <vector>

#include "action_text.hpp"

namespace berth::test {

namespace {

std::string list(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i)
        out += (i ? ", " : "") + items[i];
    return out + "]";
}

std::string time_text(core::time_ns t) {
    return t == core::no_deadline_ns ? std::string("none") : std::to_string(t);
}

core::accept_phase expected_phase(model::step_phase step) {
    switch (step) {
        case model::step_phase::none: return core::accept_phase::idle;
        case model::step_phase::waiting: return core::accept_phase::waiting_readable;
        case model::step_phase::batch: return core::accept_phase::batching;
    }
    return core::accept_phase::idle;
}

core::reserve_state expected_reserve(model::reserve_phase reserve) {
    switch (reserve) {
        case model::reserve_phase::unused: return core::reserve_state::unused;
        case model::reserve_phase::wanted: return core::reserve_state::wanted;
        case model::reserve_phase::requested: return core::reserve_state::requested;
        case model::reserve_phase::held: return core::reserve_state::held;
        case model::reserve_phase::missing: return core::reserve_state::missing;
        case model::reserve_phase::released: return core::reserve_state::released;
    }
    return core::reserve_state::unused;
}

core::listener_state expected_listener(model::listener_phase listener) {
    switch (listener) {
        case model::listener_phase::open: return core::listener_state::open;
        case model::listener_phase::close_wanted: return core::listener_state::close_pending;
        case model::listener_phase::closing: return core::listener_state::closing;
        case model::listener_phase::closed: return core::listener_state::closed;
    }
    return core::listener_state::open;
}

// Collects "name: model X, core Y" for the first counter that differs.
class counter_check {
public:
    void operator()(const char* name, std::uint64_t modelled, std::uint64_t counted) {
        if (difference_.empty() && modelled != counted) {
            difference_ = std::string("statistics.") + name + ": model " +
                          std::to_string(modelled) + ", core " + std::to_string(counted);
        }
    }
    [[nodiscard]] const std::string& difference() const { return difference_; }

private:
    std::string difference_;
};

std::string compare_statistics(const model::counters& m, const core::statistics& c) {
    using core::accept_error_class;
    counter_check check;
    check("accepted", m.accepted, c.accepted);
    check("handlers_started", m.handlers_started, c.handlers_started);
    check("dropped", m.dropped, c.dropped);
    check("shed", m.shed, c.shed);
    check("closed_after_close", m.closed_after_close, c.closed_after_close);
    check("handler_ok", m.handler_ok, c.handler_ok);
    check("handler_errors", m.handler_errors, c.handler_errors);
    check("late_handler_results", m.late_handler_results, c.late_handler_results);
    check("late_writes", m.late_writes, c.late_writes);
    check("extra_completions", m.extra_completions, c.extra_completions);
    check("writer_failures", m.writer_failures, c.writer_failures);
    check("nothing_there", m.nothing_there, c.accept_errors_of(accept_error_class::nothing_there));
    check("per_connection", m.per_connection,
          c.accept_errors_of(accept_error_class::per_connection));
    check("out_of_resources", m.out_of_resources,
          c.accept_errors_of(accept_error_class::out_of_resources));
    check("fatal", m.fatal, c.accept_errors_of(accept_error_class::fatal));
    check("back_off_pauses", m.back_off_pauses, c.back_off_pauses);
    check("times_at_limit", m.times_at_limit, c.times_at_limit);
    return check.difference();
}

std::string compare_connections(const model::server_model& m, const core_under_test& sut) {
    const core::server& s = sut.server();
    if (s.num_connections() != m.live.size()) {
        return "num_connections: model " + std::to_string(m.live.size()) + ", core " +
               std::to_string(s.num_connections());
    }
    std::set<core::socket_handle> listed;
    std::string problem;
    s.for_each_connection([&](core::connection_id id, core::socket_handle socket) {
        listed.insert(socket);
        if (!(sut.id_of(socket) == id) && problem.empty()) {
            problem = "connection s" + std::to_string(socket) + " listed under another id";
        }
    });
    if (!problem.empty()) return problem;
    std::set<core::socket_handle> modelled;
    for (const auto& entry : m.live) {
        modelled.insert(entry.first);
        if (!s.is_live(sut.id_of(entry.first))) {
            return "connection s" + std::to_string(entry.first) + " is not live in the core";
        }
    }
    if (listed != modelled) return "the core lists other live connections than the model";
    for (const core::socket_handle socket : m.gone) {
        if (s.is_live(sut.id_of(socket))) {
            return "released connection s" + std::to_string(socket) + " is still live";
        }
    }
    std::set<core::socket_handle> closing;
    for (const auto& [socket, c] : m.live) {
        if (c.socket == model::socket_phase::closing) closing.insert(socket);
    }
    if (closing != sut.closing_sockets()) return "pending socket closes differ";
    // Each writer's books: where it stands and what it holds.
    for (const auto& [socket, c] : m.live) {
        const core::writer_tracker* w = s.writer_of(sut.id_of(socket));
        if ((w != nullptr) != (m.form == core::connection_form::reader_writer)) {
            return "connection s" + std::to_string(socket) + ": a writer where none should be";
        }
        if (w == nullptr) continue;
        if (w->status() != c.writer.status) {
            return "connection s" + std::to_string(socket) + "'s writer: model " +
                   core::to_string(c.writer.status) + ", core " + core::to_string(w->status());
        }
        if (w->bytes_waiting() != c.writer.waiting()) {
            return "connection s" + std::to_string(socket) + "'s writer holds " +
                   std::to_string(w->bytes_waiting()) + " bytes, the model says " +
                   std::to_string(c.writer.waiting());
        }
    }
    return {};
}

}  // namespace

std::string compare_drain(const model::prediction& expected, const observation& seen,
                          core::time_ns deadline_ns) {
    if (!seen.problem.empty()) return seen.problem + "; actions " + list(seen.actions);
    if (expected.error != seen.error) {
        return "model: " + text::refusal(expected.error) + ", core: " + text::refusal(seen.error);
    }
    std::vector<std::string> want = expected.actions;
    std::vector<std::string> got = seen.actions;
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    if (want != got) {
        return "model predicted " + list(expected.actions) + ", core did " + list(seen.actions);
    }
    if (deadline_ns != seen.deadline_ns) {
        return "timer: model " + time_text(deadline_ns) + ", core " + time_text(seen.deadline_ns);
    }
    return {};
}

std::string compare_state(const model::server_model& m, const core_under_test& sut) {
    const core::server& s = sut.server();
    if (const char* broken = s.check_invariant()) return std::string("invariant: ") + broken;
    if (std::string d = compare_connections(m, sut); !d.empty()) return d;
    if (s.is_closed() != m.closed) return "is_closed differs";
    if (s.is_dropping_incoming_connections() != m.drop) return "drop mode differs";
    if (s.accept_step() != expected_phase(m.step)) {
        return std::string("accept step: core ") + core::to_string(s.accept_step());
    }
    if (s.accept_batch_wants_more() != m.batch_wants_more()) {
        return "accept_batch_wants_more differs";
    }
    if (s.listener() != expected_listener(m.listener)) {
        return std::string("listener: core ") + core::to_string(s.listener());
    }
    if (sut.listener_closing() != (m.listener == model::listener_phase::closing)) {
        return "the listener's pending close differs";
    }
    if (s.close_completed() != m.close_fired || sut.close_completions() != (m.close_fired ? 1 : 0))
        return "complete_close differs";
    if (s.handlers_finished() != m.finished_fired ||
        sut.finished_completions() != (m.finished_fired ? 1 : 0))
        return "complete_handlers_finished differs";
    if (s.now_ns() != m.server_now_ns) return "the core's time differs";
    if (s.reserve() != expected_reserve(m.reserve)) {
        return std::string("reserve: core ") + core::to_string(s.reserve());
    }
    if (sut.holds_reserve() != (m.reserve == model::reserve_phase::held)) {
        return "whether the driver holds a reserve differs";
    }
    if (s.form() != m.form) return "the form differs";
    const bool backing_off = s.back_off_until_ns() > s.now_ns();
    if (backing_off != (m.back_off_until_ns > m.server_now_ns)) return "back-off differs";
    return compare_statistics(m.stats, s.stats());
}

}  // namespace berth::test
