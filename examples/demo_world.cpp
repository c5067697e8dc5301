#include "demo_world.hpp"

#include <algorithm>
#include <ostream>
#include <variant>

#include "demo_text.hpp"

namespace berth::demo {

namespace {

// A script that needs more actions than this for one event has a core that
// never goes idle: fail instead of looping.
constexpr int actions_per_event_max = 1'000;
// Client sockets are numbered from here, so that they read apart from slot ids.
constexpr core::socket_handle first_client_socket = 101;
// Width of the time column, so that the events line up.
constexpr std::size_t time_column_width = 12;

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const std::string& part : parts) {
        if (!out.empty()) out += ", ";
        out += part;
    }
    return out;
}

std::string outcome_text(core::outcome result) {
    return result == core::outcome::ok ? "ok" : "error";
}

}  // namespace

demo_world::demo_world(const core::options& opts, std::ostream& out, core::connection_form form)
    : server_(opts, form), out_(out) {}

void demo_world::fail(const std::string& why) const {
    throw scenario_failure(time_text(now_ns_) + ": " + why);
}

void demo_world::check_invariant(std::string_view when) const {
    if (const char* broken = server_.check_invariant()) {
        fail("invariant broken " + std::string(when) + ": " + broken);
    }
}

void demo_world::say(std::string_view what) {
    std::string t = time_text(now_ns_);
    t.resize(std::max(t.size(), time_column_width), ' ');
    out_ << t << "  " << what << '\n';
}

void demo_world::advance_to(core::time_ns t_ns) {
    if (t_ns < now_ns_) fail("the script moves the clock backwards");
    if (timer_ns_ <= t_ns) {
        fail("the script skips the timer armed for " + time_text(timer_ns_) +
             "; fire it with timer_fires() first");
    }
    now_ns_ = t_ns;
}

void demo_world::clients_arrive(std::uint32_t count) {
    if (count == 0) fail("clients_arrive(0) says nothing");
    const std::size_t first = clients_.size();
    for (std::uint32_t i = 0; i < count; ++i) {
        client c;
        // Appended, not "c" + to_string(): GCC 12 at -O3 warns falsely on the
        // latter (-Wrestrict, GCC bug 105329), and warnings are errors here.
        c.name = "c";
        c.name += std::to_string(clients_.size() + 1);
        c.socket = first_client_socket + clients_.size();
        backlog_.push_back(clients_.size());
        clients_.push_back(std::move(c));
    }
    const std::string who =
        count == 1 ? clients_[first].name : clients_[first].name + ".." + clients_.back().name;
    say("kernel: " + who + " connect" + (count == 1 ? "s" : "") + "; " +
        std::to_string(backlog_.size()) + " waiting in the backlog");
}

demo_world::client& demo_world::by_name(std::string_view name) {
    for (client& c : clients_) {
        if (c.name == name) return c;
    }
    fail("the script names an unknown client " + std::string(name));
}

demo_world::client& demo_world::by_socket(core::socket_handle socket) {
    for (client& c : clients_) {
        if (c.socket == socket) return c;
    }
    fail("the core names socket " + std::to_string(socket) + ", which no client ever had");
}

demo_world::client& demo_world::by_id(core::connection_id id) {
    for (client& c : clients_) {
        if (c.state == client_state::accepted && c.id == id && !c.released) return c;
    }
    fail("the core names connection " + id_text(id) + ", which is not live");
}

std::string demo_world::connection_text(core::connection_id id, core::socket_handle socket) {
    return id_text(id) + " " + by_socket(socket).name;
}

std::string demo_world::describe(const core::event& ev) {
    namespace events = core::events;
    if (const auto* accepted = std::get_if<events::socket_accepted>(&ev)) {
        return "socket_accepted(" + by_socket(accepted->socket).name + ")";
    }
    if (const auto* failed = std::get_if<events::accept_failed>(&ev)) {
        return "accept_failed(" + errno_text(failed->error_value) + ")";
    }
    if (const auto* returned = std::get_if<events::handler_returned>(&ev)) {
        std::string who = id_text(returned->id);
        for (const client& c : clients_) {
            if (c.handler_started && c.id == returned->id) who += " " + c.name;
        }
        return "handler_returned(" + who + " " + outcome_text(returned->result) + ")";
    }
    if (const auto* closed = std::get_if<events::socket_closed>(&ev)) {
        return "socket_closed(" + connection_text(closed->id, by_id(closed->id).socket) + ")";
    }
    if (const auto* close = std::get_if<events::close_requested>(&ev)) {
        return close->close_existing_connections ? "close(close_existing_connections)" : "close";
    }
    if (const auto* written = std::get_if<events::bytes_buffered>(&ev)) {
        return "bytes_buffered(" + connection_text(written->id, by_id(written->id).socket) + ", " +
               std::to_string(written->bytes) + ")";
    }
    if (const auto* flushed = std::get_if<events::bytes_flushed>(&ev)) {
        return "bytes_flushed(" + connection_text(flushed->id, by_id(flushed->id).socket) + ", " +
               std::to_string(flushed->bytes) + ")";
    }
    if (const auto* drop = std::get_if<events::drop_mode_set>(&ev)) {
        return std::string("drop_mode_set(") + (drop->drop_incoming_connections ? "on" : "off") +
               ")";
    }
    if (std::holds_alternative<events::listener_readable>(ev)) return "listener_readable";
    if (std::holds_alternative<events::batch_done>(ev)) return "batch_done";
    if (std::holds_alternative<events::listener_closed>(ev)) return "listener_closed";
    if (std::holds_alternative<events::timer_fired>(ev)) return "timer_fired";
    return "an event the demo never sends";
}

void demo_world::step(const core::event& ev, std::string_view expected) {
    const std::string event_text = describe(ev);
    const core::event_error error = server_.handle(ev, now_ns_);
    if (error != core::event_error::none) {
        fail("the core refused " + event_text + ": " + core::to_string(error));
    }
    check_invariant("after " + event_text);
    std::vector<std::string> done;
    drain(done);

    const std::string actions_text = join(done);
    const char* label = done.empty() ? "nothing" : done.size() == 1 ? "action " : "actions ";
    say("event " + event_text + " -> " + label + actions_text);
    for (const std::string& line : follow_ups_)
        say(line);
    follow_ups_.clear();
    if (actions_text != expected) {
        fail("after " + event_text + " the core answered [" + actions_text + "], expected [" +
             std::string(expected) + "]");
    }
}

void demo_world::drain(std::vector<std::string>& done) {
    for (int i = 0; i < actions_per_event_max; ++i) {
        const core::action a = server_.poll();
        check_invariant("after poll");
        if (const auto* idle = std::get_if<core::actions::idle>(&a)) {
            timer_ns_ = idle->deadline_ns;
            if (timer_ns_ != core::no_deadline_ns)
                done.push_back("timer(" + time_text(timer_ns_) + ")");
            return;
        }
        done.push_back(execute(a));
    }
    fail("the core never became idle");
}

std::string demo_world::execute(const core::action& a) {
    namespace actions = core::actions;
    if (std::holds_alternative<actions::wait_readable>(a)) {
        if (waiting_readable_) fail("the core asked to wait for readability twice");
        waiting_readable_ = true;
        return "wait_readable";
    }
    if (const auto* batch = std::get_if<actions::accept_batch>(&a)) {
        if (batch_open_) fail("the core started a second accept batch");
        batch_open_ = true;
        return "accept_batch(max " + std::to_string(batch->max_sockets) +
               (batch->shed ? ", shed)" : ")");
    }
    if (const auto* start = std::get_if<actions::start_handler>(&a)) {
        client& c = by_socket(start->socket);
        if (c.state != client_state::accepted || c.handler_started || c.closes != 0) {
            fail("the core started a handler for " + c.name + ", which cannot have one");
        }
        if (server_.is_closed()) fail("the core started a handler after close");
        c.id = start->id;
        c.handler_started = true;
        return "start_handler(" + connection_text(start->id, start->socket) + ")";
    }
    if (const auto* close = std::get_if<actions::close_socket>(&a)) {
        client& c = by_socket(close->socket);
        if (c.close_requested || c.closes != 0) fail("the core closed " + c.name + " twice");
        if (c.handler_started && c.id != close->id) fail("close_socket names the wrong id");
        c.id = close->id;
        c.close_requested = true;
        if (c.held > 0) {
            follow_ups_.push_back("writer: " + std::to_string(c.held) + " bytes of " + c.name +
                                  " never sent are dropped with the socket");
            c.held = 0;
        }
        return "close_socket(" + connection_text(close->id, close->socket) +
               (close->handler_started ? ")" : ", no handler)");
    }
    if (const auto* dropped = std::get_if<actions::close_dropped_socket>(&a)) {
        client& c = by_socket(dropped->socket);
        if (c.state != client_state::accepted || c.handler_started || c.closes != 0) {
            fail("the core dropped " + c.name + ", which it may not drop");
        }
        ++c.closes;
        return "close_dropped_socket(" + c.name + ")";
    }
    if (std::holds_alternative<actions::close_listener>(a)) {
        if (listener_closing_) fail("the core closed the listener twice");
        listener_closing_ = true;
        waiting_readable_ = false;
        for (const std::size_t index : backlog_) {
            clients_[index].state = client_state::refused;
            follow_ups_.push_back("kernel: listener gone; " + clients_[index].name +
                                  " is refused (connection reset)");
        }
        backlog_.clear();
        return "close_listener";
    }
    if (const auto* release = std::get_if<actions::release_connection>(&a)) {
        client& c = by_id(release->id);
        if (!c.handler_returned || c.closes != 1) {
            fail("the core released " + c.name + " before its handler returned and socket closed");
        }
        c.released = true;
        std::string text = "release_connection(" + connection_text(release->id, c.socket) + " " +
                           outcome_text(release->result);
        if (release->decided_by == core::result_source::writer) {
            text += std::string(" by the writer");
            const core::writer_failure& f = release->writer;
            if (f.status == core::writer_status::too_full) {
                text += " (too_full: " + std::to_string(f.bytes_refused) + " bytes refused, " +
                        std::to_string(f.bytes_held) + " held, limit " +
                        std::to_string(f.limit_bytes) + ")";
            } else if (f.status == core::writer_status::too_old) {
                text += " (too_old: " + std::to_string(f.bytes_held) + " bytes waited " +
                        duration_text(f.age_ns) + ")";
            } else if (f.status == core::writer_status::failed) {
                text += " (failed: " + errno_text(f.error_value) + ")";
            }
        }
        if (release->policy != core::policy_action::none) {
            text += std::string(", policy ") + core::to_string(release->policy);
        }
        if (release->policy == core::policy_action::call) {
            const char* why = release->decided_by == core::result_source::writer
                                  ? "the writer failed"
                                  : "the handler failed";
            follow_ups_.push_back("policy call: on_handler_error(" + c.name + ", \"" + why + "\")");
        } else if (release->policy == core::policy_action::raise) {
            fail("the core asked to raise, which this scenario's policy never does");
        }
        return text + ")";
    }
    if (const auto* notice = std::get_if<actions::notice>(&a)) {
        std::string text = std::string("notice(") + core::to_string(notice->kind);
        if (notice->kind == core::notice_kind::accept_resources_exhausted) {
            text += " " + errno_text(notice->error_value);
        } else if (notice->kind == core::notice_kind::late_handler_result ||
                   notice->kind == core::notice_kind::late_write ||
                   notice->kind == core::notice_kind::extra_completion) {
            text += " " + id_text(notice->id);
        }
        return text + ")";
    }
    if (const auto* raise = std::get_if<actions::raise_accept_error>(&a)) {
        fail("the core raised a fatal accept error (" + errno_text(raise->error_value) + ")");
    }
    if (std::holds_alternative<actions::hold_reserve>(a) ||
        std::holds_alternative<actions::release_reserve>(a)) {
        fail("the core asked about a reserve, which only a shedding server keeps");
    }
    if (std::holds_alternative<actions::complete_close>(a)) {
        if (close_completed_) fail("the core completed close twice");
        close_completed_ = true;
        return "complete_close";
    }
    if (std::holds_alternative<actions::complete_handlers_finished>(a)) {
        if (handlers_finished_) fail("the core completed handlers_finished twice");
        handlers_finished_ = true;
        return "complete_handlers_finished";
    }
    fail("the core answered with an action the demo does not know");
}

void demo_world::start(std::string_view expected) {
    std::vector<std::string> done;
    check_invariant("at creation");
    drain(done);
    const std::string actions_text = join(done);
    say("server created -> " + (done.empty() ? std::string("nothing") : "action " + actions_text));
    if (actions_text != expected) {
        fail("at creation the core answered [" + actions_text + "], expected [" +
             std::string(expected) + "]");
    }
}

void demo_world::readable(std::string_view expected) {
    if (!waiting_readable_) fail("the script reports readability nobody waits for");
    if (backlog_.empty()) fail("the script reports readability with an empty backlog");
    waiting_readable_ = false;
    step(core::events::listener_readable{}, expected);
}

void demo_world::accept_next(std::string_view expected) {
    if (!batch_open_ || !server_.accept_batch_wants_more()) {
        fail("the script accepts outside a batch that wants more");
    }
    if (backlog_.empty()) fail("the script accepts from an empty backlog");
    client& c = clients_[backlog_.front()];
    backlog_.pop_front();
    c.state = client_state::accepted;
    step(core::events::socket_accepted{c.socket}, expected);
}

void demo_world::accept_fails(int error_value, std::string_view expected) {
    if (!batch_open_ || !server_.accept_batch_wants_more()) {
        fail("the script fails an accept outside a batch that wants more");
    }
    step(core::events::accept_failed{error_value}, expected);
}

void demo_world::batch_done(std::string_view expected) {
    if (!batch_open_) fail("the script ends a batch that is not running");
    batch_open_ = false;
    step(core::events::batch_done{}, expected);
}

void demo_world::handler_returns(std::string_view name, core::outcome result,
                                 std::string_view expected) {
    client& c = by_name(name);
    if (!c.handler_started || c.handler_returned) fail(c.name + "'s handler is not running");
    c.handler_returned = true;
    step(core::events::handler_returned{c.id, result}, expected);
}

void demo_world::socket_closed(std::string_view name, std::string_view expected) {
    client& c = by_name(name);
    if (!c.close_requested || c.closes != 0) fail("nobody asked to close " + c.name);
    ++c.closes;
    step(core::events::socket_closed{c.id}, expected);
}

void demo_world::listener_closed(std::string_view expected) {
    if (!listener_closing_ || listener_closed_) fail("the listener is not being closed");
    listener_closed_ = true;
    step(core::events::listener_closed{}, expected);
}

void demo_world::close(bool close_existing_connections, std::string_view expected) {
    step(core::events::close_requested{close_existing_connections, core::no_deadline_ns}, expected);
}

void demo_world::set_drop_mode(bool on, std::string_view expected) {
    step(core::events::drop_mode_set{on}, expected);
}

void demo_world::handler_writes(std::string_view name, std::uint64_t bytes,
                                std::string_view expected) {
    client& c = by_name(name);
    if (!c.handler_started || c.handler_returned) fail(c.name + "'s handler is not running");
    step(core::events::bytes_buffered{c.id, bytes}, expected);
    const core::writer_tracker* w = server_.writer_of(c.id);
    if (w == nullptr) fail(c.name + " has no writer: the server is not of the create form");
    if (w->accepts_writes()) {
        c.held += bytes;
        say("writer: " + c.name + " holds " + std::to_string(c.held) + " bytes");
    } else {
        say("writer: the bytes are not taken (" + std::string(core::to_string(w->status())) + ")");
    }
    if (w->bytes_waiting() != c.held) fail("the core's books and the writer disagree");
}

void demo_world::kernel_takes(std::string_view name, std::uint64_t bytes,
                              std::string_view expected) {
    client& c = by_name(name);
    if (bytes > c.held) fail("the script flushes more than " + c.name + "'s writer holds");
    c.held -= bytes;
    step(core::events::bytes_flushed{c.id, bytes}, expected);
}

void demo_world::timer_fires(std::string_view expected) {
    if (timer_ns_ == core::no_deadline_ns) fail("the script fires a timer nobody armed");
    now_ns_ = std::max(now_ns_, timer_ns_);
    timer_ns_ = core::no_deadline_ns;
    step(core::events::timer_fired{}, expected);
}

void demo_world::late_handler_result(std::string_view name) {
    const client& c = by_name(name);
    if (!c.released) fail("the script sends a late result for a live connection");
    const core::event ev = core::events::handler_returned{c.id, core::outcome::ok};
    const std::string event_text =
        "handler_returned(" + id_text(c.id) + " " + c.name + " ok, again)";
    const core::event_error error = server_.handle(ev, now_ns_);
    check_invariant("after a refused event");
    say("event " + event_text + " -> refused: " + core::to_string(error));
    if (error != core::event_error::stale_connection) {
        fail("a result for released connection " + id_text(c.id) + " was not refused as stale");
    }
    if (!std::holds_alternative<core::actions::idle>(server_.poll())) {
        fail("a refused event left an action behind");
    }
}

void demo_world::show_description() {
    say("description (operator<<):");
    out_ << server_ << '\n';
}

void demo_world::finish(const core::statistics& expected) {
    for (const client& c : clients_) {
        if (c.state == client_state::queued) fail(c.name + " is still in the backlog");
        if (c.state == client_state::accepted && c.closes != 1) {
            fail(c.name + "'s socket was closed " + std::to_string(c.closes) + " times, not once");
        }
        if (c.handler_started && !c.released) fail(c.name + " was never released");
    }
    if (server_.num_connections() != 0) fail("connections are left after close");
    if (!close_completed_ || !server_.close_completed()) fail("close never completed");
    if (!handlers_finished_ || !server_.handlers_finished()) fail("handlers_finished never fired");

    const core::statistics& got = server_.stats();
    const auto expect = [this](const char* name, std::uint64_t value, std::uint64_t want) {
        if (value != want) {
            fail(std::string("statistic ") + name + " is " + std::to_string(value) + ", expected " +
                 std::to_string(want));
        }
    };
    using core::accept_error_class;
    expect("accepted", got.accepted, expected.accepted);
    expect("handlers_started", got.handlers_started, expected.handlers_started);
    expect("dropped", got.dropped, expected.dropped);
    expect("shed", got.shed, expected.shed);
    expect("closed_after_close", got.closed_after_close, expected.closed_after_close);
    expect("handler_ok", got.handler_ok, expected.handler_ok);
    expect("handler_errors", got.handler_errors, expected.handler_errors);
    expect("late_handler_results", got.late_handler_results, expected.late_handler_results);
    expect("late_writes", got.late_writes, expected.late_writes);
    expect("extra_completions", got.extra_completions, expected.extra_completions);
    expect("writer_failures", got.writer_failures, expected.writer_failures);
    for (int i = 0; i < core::accept_error_class_count; ++i) {
        const auto c = static_cast<accept_error_class>(i);
        expect(core::to_string(c), got.accept_errors_of(c), expected.accept_errors_of(c));
    }
    expect("back_off_pauses", got.back_off_pauses, expected.back_off_pauses);
    expect("times_at_limit", got.times_at_limit, expected.times_at_limit);

    out_ << "\nstatistics (write_json):\n";
    server_.write_json(out_);
    out_ << "\n\ndescription (operator<<):\n" << server_ << '\n';
}

}  // namespace berth::demo
