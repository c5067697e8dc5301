#include "fuzz_driver.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <type_traits>
#include <variant>

#include "coverage.hpp"

namespace berth::fuzz {

namespace {

std::uint64_t key_of(core::connection_id id) {
    return (std::uint64_t{id.index} << 32U) | id.generation;
}

[[noreturn]] void fail(const std::string& what) {
    std::fprintf(stderr, "berth_core_fuzz: %s\n", what.c_str());
    std::abort();
}

void require(bool condition, const char* what) {
    if (!condition) fail(what);
}

// Far more pulls than a drain of at most 8 connections and a 4-socket batch needs.
constexpr int pulls_per_drain_max = 100'000;
// Rounds of answering in finish(): each round moves every connection at least one
// stage on (batch, listener, handler, socket), so a handful always suffices.
constexpr int finish_rounds_max = 16;
// Generations this high are never issued in a run: ids carrying them are forged.
constexpr std::uint32_t forged_generation_base = 0xFFFF'0000U;
constexpr std::uint32_t forged_generations = 0x1000;

}  // namespace

fuzz_driver::fuzz_driver(const core::options& opts, core::connection_form form)
    : server_(opts, form), form_(form) {
    drain();
}

void fuzz_driver::check_invariant(const char* where) const {
    if (const char* broken = server_.check_invariant()) {
        fail(std::string("invariant broken ") + where + ": " + broken);
    }
}

// The core's books of each writer against the driver's: a writer flushes exactly
// while its socket's close has not been asked for, and then holds what the driver
// kept for it.
void fuzz_driver::check_writers() const {
    for (const core::connection_id id : live_ids_) {
        const connection& c = connections_.at(key_of(id));
        const core::writer_tracker* w = server_.writer_of(id);
        if (form_ == core::connection_form::socket) {
            require(w == nullptr, "a socket-form connection has a writer");
            continue;
        }
        require(w != nullptr, "a live create connection has no writer");
        if (!c.started) continue;
        const bool flushing = !c.closing && !c.closed;
        require(w->flushing() == flushing,
                "a writer flushes on a closing socket, or stopped on an open one");
        require(w->bytes_waiting() == (flushing ? c.held : 0),
                "the core's writer holds other bytes than the driver");
        require(!flushing || w->status() != core::writer_status::final_flush || c.returned,
                "a final flush before the handler returned");
    }
}

std::string fuzz_driver::snapshot() const {
    std::ostringstream os;
    os << server_ << '\n';
    server_.write_json(os);
    os << '\n'
       << core::to_string(server_.accept_step()) << ' ' << core::to_string(server_.listener())
       << ' ' << server_.now_ns() << ' ' << server_.back_off_until_ns() << ' '
       << server_.close_completed() << server_.handlers_finished()
       << server_.accept_batch_wants_more();
    return os.str();
}

fuzz_driver::connection* fuzz_driver::live(core::connection_id id) {
    const auto found = connections_.find(key_of(id));
    if (found == connections_.end() || found->second.dead) return nullptr;
    return &found->second;
}

void fuzz_driver::feed(const core::event& ev, core::event_error expected, const char* what) {
    feed_at(ev, now_ns_, expected, what);
}

void fuzz_driver::feed_at(const core::event& ev, core::time_ns at_ns, core::event_error expected,
                          const char* what) {
    // Only an event the core must refuse needs the picture of "nothing changed".
    const std::string before = expected == core::event_error::none ? std::string() : snapshot();
    const core::event_error error = server_.handle(ev, at_ns);
    check_invariant("after handle");
    if (error != expected) {
        fail(std::string(what) + ": expected '" + core::to_string(expected) + "', core said '" +
             core::to_string(error) + "'");
    }
    if (error != core::event_error::none) {
        seen().saw_refusal(error);
        if (snapshot() != before) fail(std::string(what) + ": a refused event changed the state");
        const core::action a = server_.poll();
        const auto* idle = std::get_if<core::actions::idle>(&a);
        if (idle == nullptr || idle->deadline_ns != deadline_ns_) {
            fail(std::string(what) + ": a refused event left something to do");
        }
        return;
    }
    after_accepted(ev);
    drain();
}

void fuzz_driver::after_accepted(const core::event& ev) {
    std::visit(
        [this](const auto& e) {
            using type = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<type, core::events::listener_readable>) {
                waiting_readable_ = false;
                readable_reported_ = true;
            } else if constexpr (std::is_same_v<type, core::events::socket_accepted>) {
                handles_[e.socket] = handle_state{};
                if (++batch_results_ == batch_budget_) batch_ended_ = true;
            } else if constexpr (std::is_same_v<type, core::events::socket_shed>) {
                if (++batch_results_ == batch_budget_) batch_ended_ = true;
            } else if constexpr (std::is_same_v<type, core::events::accept_failed>) {
                const bool skip = core::classify_accept_error(e.error_value) ==
                                  core::accept_error_class::per_connection;
                if (++batch_results_ == batch_budget_ || !skip) batch_ended_ = true;
            } else if constexpr (std::is_same_v<type, core::events::batch_done>) {
                batching_ = false;
            } else if constexpr (std::is_same_v<type, core::events::handler_returned>) {
                connection* c = live(e.id);
                c->running = false;
                c->returned = true;
            } else if constexpr (std::is_same_v<type, core::events::socket_closed>) {
                connection* c = live(e.id);
                c->closing = false;
                c->closed = true;
                if (!c->started) bury(e.id);  // its slot is free; nothing else follows
            } else if constexpr (std::is_same_v<type, core::events::listener_closed>) {
                listener_closing_ = false;
                listener_closed_ = true;
            }
        },
        ev);
}

void fuzz_driver::drain() {
    for (int pulls = 0; pulls < pulls_per_drain_max; ++pulls) {
        check_invariant("while draining");
        const core::action a = server_.poll();
        seen().saw(a);
        if (const auto* idle = std::get_if<core::actions::idle>(&a)) {
            deadline_ns_ = idle->deadline_ns;
            // A timer armed at or before now would fire at once, again and again.
            require(deadline_ns_ == core::no_deadline_ns || deadline_ns_ > server_.now_ns(),
                    "the core asked for a timer that is already due");
            require(!readable_reported_, "listener_readable accepted but no accept_batch");
            require(!shed_batch_owed_, "a reserve released for a shed batch that never came");
            if (!writer_check_deferred_) check_writers();
            require(server_.accept_batch_wants_more() == (batching_ && !batch_ended_),
                    "accept_batch_wants_more disagrees with the batch's results");
            return;
        }
        take(a);
        if (close_in_next_handler_ && std::holds_alternative<core::actions::start_handler>(a)) {
            close_in_next_handler_ = false;
            close(close_existing_in_handler_, core::no_deadline_ns);
        }
    }
    fail("the core never went idle");
}

void fuzz_driver::take(const core::action& a) {
    const core::options& o = server_.opts();
    const bool shed_batch_owed = shed_batch_owed_;
    shed_batch_owed_ = false;
    if (shed_batch_owed) {
        const auto* batch = std::get_if<core::actions::accept_batch>(&a);
        require(batch != nullptr && batch->shed,
                "release_reserve for a shed batch not followed by the batch");
    }
    std::visit(
        [&](const auto& x) {
            using type = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<type, core::actions::wait_readable>) {
                require(!waiting_readable_ && !batching_, "wait_readable with a step outstanding");
                require(!server_.is_closed(), "wait_readable after close");
                require(!hold_outstanding_, "wait_readable while a hold is outstanding");
                waiting_readable_ = true;
            } else if constexpr (std::is_same_v<type, core::actions::hold_reserve>) {
                require(o.on_accept_exhaustion == core::exhaustion_mode::shed,
                        "hold_reserve in back_off mode");
                require(!hold_outstanding_ && !holds_reserve_, "hold_reserve with one held");
                require(!server_.is_closed(), "hold_reserve after close");
                require(!waiting_readable_ && !batching_, "hold_reserve with a step outstanding");
                hold_outstanding_ = true;
            } else if constexpr (std::is_same_v<type, core::actions::release_reserve>) {
                require(holds_reserve_, "release_reserve with no reserve held");
                holds_reserve_ = false;
                // Either for the shed batch that comes next, or because the listener closes.
                if (server_.listener() == core::listener_state::open) {
                    require(readable_reported_, "release_reserve outside a shed batch");
                    shed_batch_owed_ = true;
                }
            } else if constexpr (std::is_same_v<type, core::actions::accept_batch>) {
                require(readable_reported_, "accept_batch before the listener was readable");
                require(x.max_sockets >= 1 && x.max_sockets <= o.max_accepts_per_batch,
                        "accept_batch budget out of range");
                require(x.shed || x.max_sockets <= o.max_connections - server_.num_connections(),
                        "accept_batch offers more than the free slots");
                readable_reported_ = false;
                batching_ = true;
                batch_budget_ = x.max_sockets;
                batch_results_ = 0;
                batch_ended_ = false;
                batch_shed_ = x.shed;
            } else if constexpr (std::is_same_v<type, core::actions::start_handler>) {
                require(!server_.is_closed(), "a handler started after close");
                require(x.id.generation != 0, "an id with generation 0");
                require(connections_.count(key_of(x.id)) == 0, "an id issued twice");
                const auto h = handles_.find(x.socket);
                require(h != handles_.end(), "start_handler with a socket never handed in");
                require(!h->second.connection && h->second.closes == 0,
                        "start_handler with a socket already used");
                h->second.connection = true;
                connections_[key_of(x.id)] = connection{x.socket, true, true};
                adopt(x.id);
            } else if constexpr (std::is_same_v<type, core::actions::close_socket>) {
                connection* c = live(x.id);
                if (c == nullptr) {
                    // A connection closed without a handler: its first appearance.
                    require(connections_.count(key_of(x.id)) == 0, "close_socket for a dead id");
                    require(!x.handler_started, "close_socket says started, but it never was");
                    const auto h = handles_.find(x.socket);
                    require(h != handles_.end(), "close_socket with a socket never handed in");
                    require(!h->second.connection, "close_socket with a socket already used");
                    h->second.connection = true;
                    c = &connections_[key_of(x.id)];
                    c->socket = x.socket;
                    adopt(x.id);
                }
                require(c->socket == x.socket, "close_socket with another connection's socket");
                require(c->started == x.handler_started, "close_socket's handler_started is wrong");
                require(!c->closing && !c->closed, "close_socket twice for one connection");
                c->closing = true;
                c->held = 0;  // what the writer still holds is dropped with the socket
                require(++handles_[x.socket].closes == 1, "a socket closed twice");
            } else if constexpr (std::is_same_v<type, core::actions::close_dropped_socket>) {
                const auto h = handles_.find(x.socket);
                require(h != handles_.end(), "close_dropped_socket with a socket never handed in");
                require(!h->second.connection, "a connection's socket closed as dropped");
                require(++h->second.closes == 1, "a dropped socket closed twice");
            } else if constexpr (std::is_same_v<type, core::actions::close_listener>) {
                require(server_.is_closed(), "close_listener on an open server");
                require(!batching_, "close_listener under a running batch");
                require(++listener_closes_ == 1, "close_listener twice");
                listener_closing_ = true;
                waiting_readable_ = false;  // closing the listener cancels the wait
            } else if constexpr (std::is_same_v<type, core::actions::release_connection>) {
                connection* c = live(x.id);
                require(c != nullptr, "release_connection for an unknown or dead id");
                require(c->started && c->returned && c->closed,
                        "release_connection before the handler returned and the socket closed");
                bury(x.id);
                if (x.result == core::outcome::ok) {
                    require(x.policy == core::policy_action::none, "a policy for an ok result");
                } else {
                    const core::policy_action wanted =
                        o.on_handler_error == core::error_policy::raise ? core::policy_action::raise
                        : o.on_handler_error == core::error_policy::call
                            ? core::policy_action::call
                            : core::policy_action::ignore;
                    require(x.policy == wanted, "the policy applied is not the one configured");
                }
                if (x.policy == core::policy_action::raise) {
                    require(server_.is_closed(), "raise policy without the server closing");
                }
                const core::writer_status s = x.writer.status;
                const bool failure = s == core::writer_status::too_old ||
                                     s == core::writer_status::too_full ||
                                     s == core::writer_status::failed;
                if (x.decided_by == core::result_source::writer) {
                    require(form_ == core::connection_form::reader_writer,
                            "a writer decided on a server without writers");
                    require(failure == (x.result == core::outcome::error),
                            "a writer's error without its failure, or a failure with an ok");
                } else {
                    require(s == core::writer_status::open, "a failure on a handler's result");
                }
                if (s == core::writer_status::too_full) {
                    require(x.writer.bytes_held + x.writer.bytes_refused > x.writer.limit_bytes &&
                                x.writer.limit_bytes == o.buffer_limit_bytes,
                            "a too-full writer whose write would have fitted");
                }
                if (s == core::writer_status::too_old) {
                    require(x.writer.age_ns > o.buffer_age_limit_ns &&
                                x.writer.limit_ns == o.buffer_age_limit_ns,
                            "a too-old writer that was not too old");
                }
            } else if constexpr (std::is_same_v<type, core::actions::notice>) {
                if (x.kind == core::notice_kind::late_handler_result) {
                    const connection* c = live(x.id);
                    require(c != nullptr && c->returned,
                            "late-result notice for no returned handler");
                } else if (x.kind == core::notice_kind::late_write) {
                    const connection* c = live(x.id);
                    require(c != nullptr && c->started, "late-write notice for no live writer");
                } else if (x.kind == core::notice_kind::extra_completion) {
                    // Any id at all: the handler's misuse, reported as it came.
                } else {
                    require(x.id == core::connection_id{}, "a server notice names a connection");
                }
            } else if constexpr (std::is_same_v<type, core::actions::raise_accept_error>) {
                require(
                    core::classify_accept_error(x.error_value) == core::accept_error_class::fatal,
                    "raise_accept_error for an error that is not fatal");
                require(listener_closes_ == 1, "raise_accept_error before close_listener");
                require(++fatal_reports_ == 1, "raise_accept_error twice");
            } else if constexpr (std::is_same_v<type, core::actions::complete_close>) {
                require(listener_closed_, "complete_close before the listener closed");
                require(++close_completions_ == 1, "complete_close twice");
            } else if constexpr (std::is_same_v<type, core::actions::complete_handlers_finished>) {
                require(close_completions_ == 1, "handlers_finished before complete_close");
                require(server_.num_connections() == 0, "handlers_finished with connections left");
                require(++finished_completions_ == 1, "complete_handlers_finished twice");
            } else {
                fail("idle in the middle of a drain");
            }
        },
        a);
}

void fuzz_driver::adopt(core::connection_id id) {
    ids_.push_back(id);
    live_ids_.push_back(id);
}

void fuzz_driver::bury(core::connection_id id) {
    connections_.at(key_of(id)).dead = true;
    live_ids_.erase(std::find(live_ids_.begin(), live_ids_.end(), id));
}

core::event_error fuzz_driver::accept_result_error(bool shedding) const {
    if (!batching_) return core::event_error::accept_not_requested;
    if (batch_ended_) return core::event_error::accept_batch_exhausted;
    if (shedding != batch_shed_) return core::event_error::shed_mismatch;
    return core::event_error::none;
}

core::event_error fuzz_driver::connection_error(core::connection_id id) const {
    const auto found = connections_.find(key_of(id));
    if (found == connections_.end()) return core::event_error::unknown_connection;
    if (found->second.dead) return core::event_error::stale_connection;
    return core::event_error::none;
}

void fuzz_driver::readable() {
    feed(core::events::listener_readable{},
         waiting_readable_ ? core::event_error::none : core::event_error::readable_not_awaited,
         "listener_readable");
}

void fuzz_driver::accept() {
    feed(core::events::socket_accepted{next_socket_++}, accept_result_error(false),
         "socket_accepted");
}

void fuzz_driver::shed() {
    feed(core::events::socket_shed{}, accept_result_error(true), "socket_shed");
}

void fuzz_driver::accept_error(int error_value) {
    const core::event_error expected =
        batching_ && !batch_ended_ ? core::event_error::none : accept_result_error(batch_shed_);
    feed(core::events::accept_failed{error_value}, expected, "accept_failed");
}

void fuzz_driver::batch_done() {
    feed(core::events::batch_done{},
         batching_ ? core::event_error::none : core::event_error::batch_not_started, "batch_done");
}

void fuzz_driver::handler_returned(core::connection_id id, core::outcome result) {
    core::event_error expected = connection_error(id);
    if (expected == core::event_error::none && !live(id)->running) {
        expected = core::event_error::handler_not_running;
    }
    feed(core::events::handler_returned{id, result}, expected, "handler_returned");
}

core::event_error fuzz_driver::writer_error(core::connection_id id, bool writing) const {
    if (form_ != core::connection_form::reader_writer) return core::event_error::no_writer;
    const core::event_error error = connection_error(id);
    if (error != core::event_error::none) return error;
    const connection& c = connections_.at(key_of(id));
    if (!c.started || (writing && !c.running)) return core::event_error::handler_not_running;
    return core::event_error::none;
}

void fuzz_driver::bytes_buffered(core::connection_id id, std::uint64_t bytes) {
    const core::event_error expected = writer_error(id, true);
    // Whether the bytes were taken is known only after the event: the writers are
    // checked once the driver has kept them.
    writer_check_deferred_ = true;
    feed(core::events::bytes_buffered{id, bytes}, expected, "bytes_buffered");
    writer_check_deferred_ = false;
    if (expected != core::event_error::none) return;
    // The driver keeps the bytes only if the core's books took them.
    const core::writer_tracker* w = server_.writer_of(id);
    require(w != nullptr, "a running handler's writer is gone");
    connection* c = live(id);
    if (w->accepts_writes()) c->held += bytes;
    check_writers();
}

void fuzz_driver::bytes_flushed(core::connection_id id, std::uint64_t bytes) {
    core::event_error expected = writer_error(id, false);
    if (expected == core::event_error::none) {
        const connection& c = connections_.at(key_of(id));
        if (!c.closing && !c.closed && bytes > c.held) {
            expected = core::event_error::flushed_more_than_buffered;
        }
    }
    connection* c = expected == core::event_error::none ? live(id) : nullptr;
    // Once the socket's close was asked for, the kernel's reports change nothing.
    const bool counts = c != nullptr && !c->closing && !c->closed;
    if (counts) c->held -= bytes;
    feed(core::events::bytes_flushed{id, bytes}, expected, "bytes_flushed");
}

void fuzz_driver::write_failed(core::connection_id id, int error_value) {
    feed(core::events::write_failed{id, error_value}, writer_error(id, false), "write_failed");
}

void fuzz_driver::extra_completion(core::connection_id id) {
    feed(core::events::extra_completion{id}, core::event_error::none, "extra_completion");
}

void fuzz_driver::reserve_held(bool held) {
    const core::event_error expected =
        hold_outstanding_ ? core::event_error::none : core::event_error::reserve_not_requested;
    if (expected == core::event_error::none) {
        hold_outstanding_ = false;
        holds_reserve_ = held;
    }
    feed(core::events::reserve_held{held}, expected, "reserve_held");
}

void fuzz_driver::socket_closed(core::connection_id id) {
    core::event_error expected = connection_error(id);
    if (expected == core::event_error::none && !live(id)->closing) {
        expected = core::event_error::socket_close_not_requested;
    }
    feed(core::events::socket_closed{id}, expected, "socket_closed");
}

void fuzz_driver::listener_closed() {
    feed(core::events::listener_closed{},
         listener_closing_ ? core::event_error::none
                           : core::event_error::listener_close_not_requested,
         "listener_closed");
}

void fuzz_driver::close(bool close_existing, core::time_ns drain_timeout_ns) {
    feed(core::events::close_requested{close_existing, drain_timeout_ns},
         drain_timeout_ns < 0 ? core::event_error::negative_drain_timeout : core::event_error::none,
         "close_requested");
}

void fuzz_driver::close_in_next_handler(bool close_existing) {
    close_in_next_handler_ = true;
    close_existing_in_handler_ = close_existing;
}

void fuzz_driver::set_drop(bool drop) {
    feed(core::events::drop_mode_set{drop}, core::event_error::none, "drop_mode_set");
}

void fuzz_driver::time_passes(core::time_ns delta_ns) {
    now_ns_ += delta_ns;
    feed(core::events::timer_fired{}, core::event_error::none, "timer_fired");
}

void fuzz_driver::event_in_the_past() {
    if (server_.now_ns() == std::numeric_limits<core::time_ns>::min()) return;
    feed_at(core::events::timer_fired{}, server_.now_ns() - 1,
            core::event_error::time_went_backwards, "event in the past");
}

void fuzz_driver::next_natural_step() {
    if (hold_outstanding_) return reserve_held(true);
    if (waiting_readable_) return readable();
    if (batching_) {
        if (batch_ended_) return batch_done();
        return batch_shed_ ? shed() : accept();
    }
    if (listener_closing_) return listener_closed();
    for (const core::connection_id id : live_ids_) {
        const connection& c = connections_.at(key_of(id));
        if (!c.dead && c.closing) return socket_closed(id);
    }
    for (const core::connection_id id : live_ids_) {
        const connection& c = connections_.at(key_of(id));
        if (!c.dead && c.held > 0) return bytes_flushed(id, c.held);
    }
    for (const core::connection_id id : live_ids_) {
        const connection& c = connections_.at(key_of(id));
        if (!c.dead && c.running) return handler_returned(id, core::outcome::ok);
    }
    if (deadline_ns_ != core::no_deadline_ns && deadline_ns_ > now_ns_) {
        time_passes(deadline_ns_ - now_ns_);
    }
}

core::connection_id fuzz_driver::any_id(std::uint32_t which) const {
    if (ids_.empty() || which % 8 == 7) {
        const std::uint32_t generation =
            which % 16 == 15 ? 0 : forged_generation_base + which % forged_generations;
        return core::connection_id{which % 4, generation};
    }
    return ids_[which % ids_.size()];
}

core::connection_id fuzz_driver::running_handler(std::uint32_t which) const {
    std::vector<core::connection_id> running;
    for (const core::connection_id id : live_ids_) {
        const connection& c = connections_.at(key_of(id));
        if (!c.dead && c.running) running.push_back(id);
    }
    if (running.empty() || which % 8 == 7) return any_id(which);
    return running[which % running.size()];
}

core::connection_id fuzz_driver::holding_writer(std::uint32_t which) const {
    std::vector<core::connection_id> holding;
    for (const core::connection_id id : live_ids_) {
        const connection& c = connections_.at(key_of(id));
        if (!c.dead && c.held > 0) holding.push_back(id);
    }
    if (holding.empty() || which % 8 == 7) return running_handler(which);
    return holding[which % holding.size()];
}

std::uint64_t fuzz_driver::held(core::connection_id id) const {
    const auto found = connections_.find(key_of(id));
    return found == connections_.end() ? 0 : found->second.held;
}

core::connection_id fuzz_driver::closing_socket(std::uint32_t which) const {
    std::vector<core::connection_id> closing;
    for (const core::connection_id id : live_ids_) {
        const connection& c = connections_.at(key_of(id));
        if (!c.dead && c.closing) closing.push_back(id);
    }
    if (closing.empty() || which % 8 == 7) return any_id(which);
    return closing[which % closing.size()];
}

bool fuzz_driver::outstanding() const {
    return batching_ || listener_closing_ || hold_outstanding_ || finished_completions_ == 0 ||
           !live_ids_.empty();
}

void fuzz_driver::finish(bool close_existing) {
    close(close_existing, core::no_deadline_ns);
    for (int round = 0; round < finish_rounds_max && outstanding(); ++round) {
        if (hold_outstanding_) reserve_held(round % 2 == 0);
        if (batching_) {
            if (!batch_ended_) accept_error(EAGAIN);
            batch_done();
        }
        if (listener_closing_) listener_closed();
        // Final flushes still under way get their last bytes out.
        for (const core::connection_id id : std::vector<core::connection_id>(live_ids_)) {
            if (held(id) > 0 && live(id) != nullptr) bytes_flushed(id, held(id));
        }
        std::vector<core::connection_id> closing;
        std::vector<core::connection_id> running;
        for (const core::connection_id id : live_ids_) {
            const connection& c = connections_.at(key_of(id));
            if (c.dead) continue;
            if (c.closing) closing.push_back(id);
            if (c.running) running.push_back(id);
        }
        for (const core::connection_id id : closing)
            socket_closed(id);
        for (const core::connection_id id : running) {
            if (live(id) != nullptr) handler_returned(id, core::outcome::ok);
        }
    }
    require(!outstanding(), "the server did not finish after close within the bound");
    require(server_.is_closed(), "the server is not closed at the end");
    require(server_.num_connections() == 0, "connections remain at the end");
    require(close_completions_ == 1, "complete_close did not fire exactly once");
    require(finished_completions_ == 1, "complete_handlers_finished did not fire exactly once");
    require(!holds_reserve_ && !hold_outstanding_, "the reserve was not given back");
    for (const auto& [socket, h] : handles_) {
        if (h.closes != 1)
            fail("socket " + std::to_string(socket) + " was not closed exactly once");
    }
}

}  // namespace berth::fuzz
