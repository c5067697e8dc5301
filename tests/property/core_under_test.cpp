#include "core_under_test.hpp"

#include <sstream>
#include <type_traits>
#include <variant>

#include "action_text.hpp"

namespace berth::test {

namespace {

std::uint64_t key_of(core::connection_id id) {
    return (std::uint64_t{id.index} << 32U) | id.generation;
}

std::string id_text(core::connection_id id) {
    return std::to_string(id.index) + "." + std::to_string(id.generation);
}

void add_problem(std::string& problem, const std::string& what) {
    if (problem.empty()) problem = what;
}

// More pulls than any drain of a server with a handful of connections can need: a
// core that keeps producing actions is reported, not waited on.
constexpr int pulls_per_drain_max = 10'000;

}  // namespace

core_under_test::core_under_test(const core::options& opts, core::connection_form form)
    : server_(opts, form) {}

observation core_under_test::start() {
    observation seen;
    drain(seen, drain_rules{});
    return seen;
}

observation core_under_test::look() {
    return start();
}

observation core_under_test::feed(const core::event& ev, core::time_ns now_ns,
                                  std::uint32_t num_connections_at_start) {
    observation seen;
    const std::string before = description();
    seen.error = server_.handle(ev, now_ns);
    if (seen.error == core::event_error::none) {
        note_fed(ev);
    } else if (description() != before) {
        add_problem(seen.problem, "a refused event changed the core's description");
    }
    drain(seen, drain_rules{num_connections_at_start, false, false, now_ns});
    return seen;
}

observation core_under_test::feed_batch_done_then_close(core::time_ns now_ns, bool close_existing,
                                                        std::uint32_t num_connections_at_start) {
    observation seen;
    seen.error = server_.handle(core::events::batch_done{}, now_ns);
    drain(seen, drain_rules{num_connections_at_start, true, close_existing, now_ns});
    return seen;
}

std::string core_under_test::description() const {
    std::ostringstream os;
    os << server_;
    server_.write_json(os);
    return os.str();
}

core::connection_id core_under_test::id_of(core::socket_handle socket) const {
    const auto found = ids_.find(socket);
    return found == ids_.end() ? core::connection_id{} : found->second;
}

core::connection_id core_under_test::forged_id_near(core::socket_handle socket) const {
    const core::connection_id id = id_of(socket);
    const auto newest = newest_generation_.find(id.index);
    const std::uint32_t generation = newest == newest_generation_.end() ? 0 : newest->second;
    return core::connection_id{id.index, generation + 1};
}

void core_under_test::note_fed(const core::event& ev) {
    if (const auto* closed = std::get_if<core::events::socket_closed>(&ev)) {
        closing_.erase(socket_of_unchecked(closed->id));
    }
    if (std::holds_alternative<core::events::listener_closed>(ev)) listener_closing_ = false;
    if (const auto* reserve = std::get_if<core::events::reserve_held>(&ev)) {
        holds_reserve_ = reserve->held;
    }
}

core::socket_handle core_under_test::socket_of_unchecked(core::connection_id id) const {
    const auto found = sockets_.find(key_of(id));
    return found == sockets_.end() ? 0 : found->second;
}

core::socket_handle core_under_test::socket_of(core::connection_id id, std::string& problem) const {
    const core::socket_handle socket = socket_of_unchecked(id);
    if (socket == 0) add_problem(problem, "an action names id " + id_text(id) + ", never issued");
    return socket;
}

void core_under_test::learn(core::connection_id id, core::socket_handle socket,
                            std::string& problem) {
    if (id.generation == 0) add_problem(problem, "the core issued an id with generation 0");
    if (sockets_.count(key_of(id)) != 0) {
        add_problem(problem, "the core issued id " + id_text(id) + " twice");
    }
    ids_[socket] = id;
    sockets_[key_of(id)] = socket;
    std::uint32_t& newest = newest_generation_[id.index];
    if (id.generation > newest) newest = id.generation;
}

void core_under_test::drain(observation& seen, drain_rules rules) {
    drain_order order;
    bool close_fed = false;
    for (int pulls = 0; pulls < pulls_per_drain_max; ++pulls) {
        if (const char* broken = server_.check_invariant()) {
            add_problem(seen.problem, std::string("invariant broken: ") + broken);
        }
        const core::action a = server_.poll();
        if (const auto* idle = std::get_if<core::actions::idle>(&a)) {
            seen.deadline_ns = idle->deadline_ns;
            if (order.late_notice_for != 0) {
                add_problem(seen.problem, "a late-result notice was not followed by its release");
            }
            if (order.shed_batch_next) {
                add_problem(seen.problem, "a reserve released for a shed batch that never came");
            }
            return;
        }
        seen.actions.push_back(take(a, rules, order, seen.problem));
        if (rules.close_in_first_handler && !close_fed &&
            std::holds_alternative<core::actions::start_handler>(a)) {
            close_fed = true;
            const core::event close{core::events::close_requested{rules.close_existing}};
            if (server_.handle(close, rules.now_ns) != core::event_error::none) {
                add_problem(seen.problem, "a handler's close was refused");
            }
        }
    }
    add_problem(seen.problem, "the core did not go idle");
}

std::string core_under_test::take(const core::action& a, const drain_rules& rules,
                                  drain_order& order, std::string& problem) {
    const core::socket_handle late_owed = order.late_notice_for;
    order.late_notice_for = 0;
    const bool shed_batch_owed = order.shed_batch_next;
    order.shed_batch_next = false;
    bool shed_batch = false;
    core::socket_handle released = 0;
    std::string out;
    std::visit(
        [&](const auto& x) {
            using type = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<type, core::actions::wait_readable>) {
                out = text::wait_readable();
            } else if constexpr (std::is_same_v<type, core::actions::hold_reserve>) {
                if (holds_reserve_) add_problem(problem, "hold_reserve while a reserve is held");
                out = text::hold_reserve();
            } else if constexpr (std::is_same_v<type, core::actions::release_reserve>) {
                if (!holds_reserve_) add_problem(problem, "release_reserve with no reserve held");
                holds_reserve_ = false;
                // Released for a shed batch, unless the listener is closing.
                order.shed_batch_next = server_.listener() == core::listener_state::open;
                out = text::release_reserve();
            } else if constexpr (std::is_same_v<type, core::actions::accept_batch>) {
                shed_batch = x.shed;
                out = text::accept_batch(x.max_sockets, x.shed);
            } else if constexpr (std::is_same_v<type, core::actions::start_handler>) {
                learn(x.id, x.socket, problem);
                if (x.socket <= order.last_started) {
                    add_problem(problem, "handlers started out of accept order");
                }
                order.last_started = x.socket;
                if (server_.num_connections() != rules.num_connections_at_start) {
                    add_problem(problem, "a handler started before its whole batch held slots");
                }
                out = text::start_handler(x.socket);
            } else if constexpr (std::is_same_v<type, core::actions::close_socket>) {
                if (ids_.count(x.socket) == 0) learn(x.id, x.socket, problem);
                if (!(ids_[x.socket] == x.id)) {
                    add_problem(problem, "close_socket names the wrong id for its socket");
                }
                if (!closing_.insert(x.socket).second) {
                    add_problem(problem, "close_socket twice for one socket");
                }
                out = text::close_socket(x.socket, x.handler_started);
            } else if constexpr (std::is_same_v<type, core::actions::close_dropped_socket>) {
                if (ids_.count(x.socket) != 0) {
                    add_problem(problem, "a connection's socket was closed as dropped");
                }
                if (x.socket <= order.last_dropped) {
                    add_problem(problem, "dropped sockets closed out of accept order");
                }
                order.last_dropped = x.socket;
                out = text::close_dropped_socket(x.socket);
            } else if constexpr (std::is_same_v<type, core::actions::close_listener>) {
                listener_closing_ = true;
                out = text::close_listener();
            } else if constexpr (std::is_same_v<type, core::actions::release_connection>) {
                released = socket_of(x.id, problem);
                if (x.decided_by == core::result_source::handler &&
                    x.writer.status != core::writer_status::open) {
                    add_problem(problem, "a writer failure attached to a handler's result");
                }
                out =
                    text::release_connection(released, x.result, x.policy, x.decided_by, x.writer);
            } else if constexpr (std::is_same_v<type, core::actions::notice>) {
                core::socket_handle socket = 0;
                if (x.kind == core::notice_kind::late_handler_result) {
                    socket = socket_of(x.id, problem);
                    order.late_notice_for = socket;
                } else if (x.kind == core::notice_kind::late_write) {
                    // Before the release: the id still names the connection.
                    socket = socket_of(x.id, problem);
                    if (!server_.is_live(x.id)) {
                        add_problem(problem, "a late-write notice for a released connection");
                    }
                } else if (x.kind == core::notice_kind::extra_completion) {
                    socket = socket_of_unchecked(x.id);  // any id at all, issued or not
                } else if (!(x.id == core::connection_id{})) {
                    add_problem(problem, "a server notice names a connection");
                }
                out = text::notice(x.kind, socket, x.error_value);
            } else if constexpr (std::is_same_v<type, core::actions::raise_accept_error>) {
                out = text::raise_accept_error(x.error_value);
            } else if constexpr (std::is_same_v<type, core::actions::complete_close>) {
                if (++close_completions_ > 1) add_problem(problem, "complete_close fired twice");
                out = text::complete_close();
            } else if constexpr (std::is_same_v<type, core::actions::complete_handlers_finished>) {
                if (++finished_completions_ > 1) {
                    add_problem(problem, "complete_handlers_finished fired twice");
                }
                if (close_completions_ == 0) {
                    add_problem(problem, "handlers_finished fired before the close completed");
                }
                out = text::complete_handlers_finished();
            } else {
                out = "idle in the middle of a drain";
            }
        },
        a);
    if (late_owed != 0 && released != late_owed) {
        add_problem(problem, "a late-result notice was not followed by its release");
    }
    if (shed_batch_owed && !shed_batch) {
        add_problem(problem, "a reserve released for a shed batch was not followed by it");
    }
    return out;
}

}  // namespace berth::test
