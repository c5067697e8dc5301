#include "model_commands.hpp"

#include <algorithm>
#include <cerrno>
#include <ostream>
#include <string>
#include <vector>

#include "agreement.hpp"

namespace berth::test {

namespace {

using core::socket_handle;
using core::time_ns;
using model::prediction;
using model::server_model;

// Every command predicts with the model and feeds the core, then the two must
// agree on the drain and on the state after it.
class model_command : public model_command_base {
public:
    void apply(server_model& m) const final { static_cast<void>(predict(m)); }

    void run(const server_model& before, core_under_test& sut) const final {
        server_model after = before;
        const prediction expected = predict(after);
        const observation seen = expected.fed ? feed(before, after, sut) : sut.look();
        if (std::string d = compare_drain(expected, seen, after.next_deadline_ns()); !d.empty()) {
            RC_FAIL(d);
        }
        if (std::string d = compare_state(after, sut); !d.empty()) RC_FAIL(d);
    }

protected:
    virtual prediction predict(server_model& m) const = 0;
    virtual observation feed(const server_model& before, const server_model& after,
                             core_under_test& sut) const = 0;
};

// Sockets named by connection commands: mostly ones in the state the command is
// meant for, sometimes any live one, a released one, or none at all (0).
template <typename Preferred>
socket_handle pick_target(const server_model& m, Preferred preferred) {
    std::vector<socket_handle> wanted;
    std::vector<socket_handle> other;
    for (const auto& [socket, c] : m.live)
        (preferred(c) ? wanted : other).push_back(socket);
    const std::vector<socket_handle> gone(m.gone.begin(), m.gone.end());
    enum class pool : std::uint8_t { in_state, any_live, released, none };
    const pool from = *rc::gen::weightedElement<pool>({
        {wanted.empty() ? 0U : 24U, pool::in_state},
        {other.empty() ? 0U : 3U, pool::any_live},
        {gone.empty() ? 0U : 2U, pool::released},
        {1U, pool::none},
    });
    switch (from) {
        case pool::in_state: return *rc::gen::elementOf(wanted);
        case pool::any_live: return *rc::gen::elementOf(other);
        case pool::released: return *rc::gen::elementOf(gone);
        case pool::none: break;
    }
    return 0;
}

bool handler_running(const model::connection& c) {
    return c.handler == model::handler_phase::running;
}

bool socket_closing(const model::connection& c) {
    return c.socket == model::socket_phase::closing;
}

// A connection command must name a socket the harness can turn into an id; after
// shrinking removed its accept, it no longer can.
class connection_command : public model_command {
public:
    explicit connection_command(socket_handle socket) : socket_(socket) {}
    void checkPreconditions(const server_model& m) const override { RC_PRE(m.knows(socket_)); }

protected:
    socket_handle socket_;
};

class report_readable : public model_command {
public:
    explicit report_readable(const server_model&) {}
    void show(std::ostream& os) const override { os << "listener_readable"; }

private:
    prediction predict(server_model& m) const override { return m.listener_readable(); }
    observation feed(const server_model&, const server_model& after,
                     core_under_test& sut) const override {
        return sut.feed(core::events::listener_readable{}, after.clock_ns);
    }
};

bool wants_accepted_socket(const server_model& m) {
    return m.batch_wants_more() && !m.shed;
}

class accept_socket : public model_command {
public:
    explicit accept_socket(const server_model&) {}
    void checkPreconditions(const server_model& m) const override {
        RC_PRE(wants_accepted_socket(m));
    }
    void show(std::ostream& os) const override { os << "socket_accepted"; }

private:
    prediction predict(server_model& m) const override { return m.socket_accepted(); }
    observation feed(const server_model& before, const server_model& after,
                     core_under_test& sut) const override {
        return sut.feed(core::events::socket_accepted{before.next_socket}, after.clock_ns);
    }
};

// An accepted socket the core did not ask for: outside a batch, past its budget,
// or in a shed batch. Its handle is not one the harness hands out otherwise.
class accept_not_asked_for : public model_command {
public:
    explicit accept_not_asked_for(const server_model&) {}
    void checkPreconditions(const server_model& m) const override {
        RC_PRE(!wants_accepted_socket(m));
    }
    void show(std::ostream& os) const override { os << "socket_accepted (not asked for)"; }

private:
    static constexpr socket_handle refused_socket_base = 1'000'000;
    prediction predict(server_model& m) const override { return m.socket_accepted(); }
    observation feed(const server_model& before, const server_model& after,
                     core_under_test& sut) const override {
        return sut.feed(core::events::socket_accepted{refused_socket_base + before.next_socket},
                        after.clock_ns);
    }
};

// A shed batch's accept; outside one, a contract breach the core must refuse.
class shed_socket : public model_command {
public:
    explicit shed_socket(const server_model&) {}
    void show(std::ostream& os) const override { os << "socket_shed"; }

private:
    prediction predict(server_model& m) const override { return m.socket_shed(); }
    observation feed(const server_model&, const server_model& after,
                     core_under_test& sut) const override {
        return sut.feed(core::events::socket_shed{}, after.clock_ns);
    }
};

class accept_error : public model_command {
public:
    explicit accept_error(const server_model&) {
        using model::failure_class;
        const failure_class wanted = *rc::gen::weightedElement<failure_class>({
            {6U, failure_class::nothing_there},
            {3U, failure_class::per_connection},
            {3U, failure_class::out_of_resources},
            {1U, failure_class::fatal},
        });
        std::vector<int> values;
        for (const int v : model::accept_error_values()) {
            if (model::classify(v) == wanted) values.push_back(v);
        }
        error_value_ = *rc::gen::elementOf(values);
    }
    void show(std::ostream& os) const override { os << "accept_failed(" << error_value_ << ")"; }

private:
    prediction predict(server_model& m) const override { return m.accept_failed(error_value_); }
    observation feed(const server_model&, const server_model& after,
                     core_under_test& sut) const override {
        return sut.feed(core::events::accept_failed{error_value_}, after.clock_ns);
    }
    int error_value_ = 0;
};

class report_batch_done : public model_command {
public:
    explicit report_batch_done(const server_model&) {}
    void show(std::ostream& os) const override { os << "batch_done"; }

private:
    prediction predict(server_model& m) const override { return m.batch_done(); }
    observation feed(const server_model&, const server_model& after,
                     core_under_test& sut) const override {
        return sut.feed(core::events::batch_done{}, after.clock_ns,
                        static_cast<std::uint32_t>(after.live.size()));
    }
};

bool batch_would_start_handlers(const server_model& m) {
    return m.step == model::step_phase::batch && !m.batch.empty() && !m.shed && !m.closed &&
           !m.drop;
}

// The first handler of a batch closes the server before the others start.
class batch_done_then_close : public model_command {
public:
    explicit batch_done_then_close(const server_model&)
        : close_existing_(*rc::gen::arbitrary<bool>()) {}
    void checkPreconditions(const server_model& m) const override {
        RC_PRE(batch_would_start_handlers(m));
    }
    void show(std::ostream& os) const override {
        os << "batch_done, first handler closes (close_existing " << close_existing_ << ")";
    }

private:
    prediction predict(server_model& m) const override {
        return m.batch_done_then_close(close_existing_);
    }
    observation feed(const server_model&, const server_model& after,
                     core_under_test& sut) const override {
        return sut.feed_batch_done_then_close(after.clock_ns, close_existing_,
                                              static_cast<std::uint32_t>(after.live.size()));
    }
    bool close_existing_ = false;
};

class handler_returns : public connection_command {
public:
    explicit handler_returns(const server_model& m)
        : connection_command(pick_target(m, handler_running)),
          result_(*rc::gen::weightedElement<core::outcome>(
              {{3U, core::outcome::ok}, {2U, core::outcome::error}})) {}
    void show(std::ostream& os) const override {
        os << "handler_returned(s" << socket_ << ", "
           << (result_ == core::outcome::ok ? "ok" : "error") << ")";
    }

private:
    prediction predict(server_model& m) const override {
        return m.handler_returned(socket_, result_);
    }
    observation feed(const server_model&, const server_model& after,
                     core_under_test& sut) const override {
        return sut.feed(core::events::handler_returned{sut.id_of(socket_), result_},
                        after.clock_ns);
    }
    core::outcome result_;
};

bool writer_holds_bytes(const model::connection& c) {
    return c.writer.flushing() && c.writer.waiting() > 0;
}

bool writer_flushing(const model::connection& c) {
    return c.writer.flushing() && c.handler != model::handler_phase::never_started &&
           c.handler != model::handler_phase::start_pending;
}

// The handler writes: sizes around the buffer limits the options draw from.
class write_bytes : public connection_command {
public:
    explicit write_bytes(const server_model& m)
        : connection_command(pick_target(m, handler_running)),
          bytes_(*rc::gen::element<std::uint64_t>(0, 1, 7, 40, 60, 100, 250, 999, 1000, 5000)) {}
    void show(std::ostream& os) const override {
        os << "bytes_buffered(s" << socket_ << ", " << bytes_ << ")";
    }

private:
    prediction predict(server_model& m) const override { return m.bytes_buffered(socket_, bytes_); }
    observation feed(const server_model&, const server_model& after,
                     core_under_test& sut) const override {
        return sut.feed(core::events::bytes_buffered{sut.id_of(socket_), bytes_}, after.clock_ns);
    }
    std::uint64_t bytes_;
};

// The kernel takes bytes: all the writer holds, part of it, or one byte too many.
class flush_bytes : public connection_command {
public:
    explicit flush_bytes(const server_model& m)
        : connection_command(pick_target(m, writer_holds_bytes)) {
        const auto found = m.live.find(socket_);
        const std::uint64_t held = found == m.live.end() ? 0 : found->second.writer.waiting();
        enum class amount : std::uint8_t { all, part, none, too_many };
        switch (*rc::gen::weightedElement<amount>(
            {{6U, amount::all}, {6U, amount::part}, {1U, amount::none}, {1U, amount::too_many}})) {
            case amount::all: bytes_ = held; break;
            case amount::part:
                bytes_ = held == 0 ? 0 : *rc::gen::inRange<std::uint64_t>(0, held);
                break;
            case amount::none: bytes_ = 0; break;
            case amount::too_many: bytes_ = held + 1; break;
        }
    }
    void show(std::ostream& os) const override {
        os << "bytes_flushed(s" << socket_ << ", " << bytes_ << ")";
    }

private:
    prediction predict(server_model& m) const override { return m.bytes_flushed(socket_, bytes_); }
    observation feed(const server_model&, const server_model& after,
                     core_under_test& sut) const override {
        return sut.feed(core::events::bytes_flushed{sut.id_of(socket_), bytes_}, after.clock_ns);
    }
    std::uint64_t bytes_ = 0;
};

class write_fails : public connection_command {
public:
    explicit write_fails(const server_model& m)
        : connection_command(pick_target(m, writer_flushing)),
          error_value_(*rc::gen::element(EPIPE, ECONNRESET, ETIMEDOUT, ENOTCONN, EIO, ENOSPC)) {}
    void show(std::ostream& os) const override {
        os << "write_failed(s" << socket_ << ", " << error_value_ << ")";
    }

private:
    prediction predict(server_model& m) const override {
        return m.write_failed(socket_, error_value_);
    }
    observation feed(const server_model&, const server_model& after,
                     core_under_test& sut) const override {
        return sut.feed(core::events::write_failed{sut.id_of(socket_), error_value_},
                        after.clock_ns);
    }
    int error_value_;
};

// A handler reports its end again: for a live connection, a released one, or an
// id never issued (socket 0).
class extra_completion : public connection_command {
public:
    explicit extra_completion(const server_model& m)
        : connection_command(pick_target(m, [](const model::connection& c) {
              return c.handler == model::handler_phase::returned;
          })) {}
    void show(std::ostream& os) const override { os << "extra_completion(s" << socket_ << ")"; }

private:
    prediction predict(server_model& m) const override { return m.extra_completion(socket_); }
    observation feed(const server_model&, const server_model& after,
                     core_under_test& sut) const override {
        return sut.feed(core::events::extra_completion{sut.id_of(socket_)}, after.clock_ns);
    }
};

// The driver answers a hold_reserve (or, out of turn, answers one never asked).
class reserve_answer : public model_command {
public:
    explicit reserve_answer(const server_model&)
        : held_(*rc::gen::weightedElement<bool>({{3U, true}, {1U, false}})) {}
    void show(std::ostream& os) const override { os << "reserve_held(" << held_ << ")"; }

private:
    prediction predict(server_model& m) const override { return m.reserve_held(held_); }
    observation feed(const server_model&, const server_model& after,
                     core_under_test& sut) const override {
        return sut.feed(core::events::reserve_held{held_}, after.clock_ns);
    }
    bool held_;
};

class socket_closes : public connection_command {
public:
    explicit socket_closes(const server_model& m)
        : connection_command(pick_target(m, socket_closing)) {}
    void show(std::ostream& os) const override { os << "socket_closed(s" << socket_ << ")"; }

private:
    prediction predict(server_model& m) const override { return m.socket_closed(socket_); }
    observation feed(const server_model&, const server_model& after,
                     core_under_test& sut) const override {
        return sut.feed(core::events::socket_closed{sut.id_of(socket_)}, after.clock_ns);
    }
};

// A connection event with an id the core never issued.
class forged_id : public connection_command {
public:
    enum class kind : std::uint8_t {
        handler_returned,
        bytes_buffered,
        bytes_flushed,
        write_failed,
        socket_closed
    };
    explicit forged_id(const server_model& m)
        : connection_command(pick_target(m, handler_running)),
          kind_(*rc::gen::element(kind::handler_returned, kind::bytes_buffered, kind::bytes_flushed,
                                  kind::write_failed, kind::socket_closed)) {}
    void show(std::ostream& os) const override {
        os << "forged id near s" << socket_ << " (event " << static_cast<int>(kind_) << ")";
    }

private:
    [[nodiscard]] bool writer_event() const {
        return kind_ == kind::bytes_buffered || kind_ == kind::bytes_flushed ||
               kind_ == kind::write_failed;
    }
    prediction predict(server_model& m) const override { return m.forged_id(writer_event()); }
    observation feed(const server_model&, const server_model& after,
                     core_under_test& sut) const override {
        const core::connection_id id = sut.forged_id_near(socket_);
        switch (kind_) {
            case kind::handler_returned:
                return sut.feed(core::events::handler_returned{id, core::outcome::ok},
                                after.clock_ns);
            case kind::bytes_buffered:
                return sut.feed(core::events::bytes_buffered{id, 1}, after.clock_ns);
            case kind::bytes_flushed:
                return sut.feed(core::events::bytes_flushed{id, 0}, after.clock_ns);
            case kind::write_failed:
                return sut.feed(core::events::write_failed{id, EPIPE}, after.clock_ns);
            case kind::socket_closed: break;
        }
        return sut.feed(core::events::socket_closed{id}, after.clock_ns);
    }
    kind kind_;
};

class listener_closes : public model_command {
public:
    explicit listener_closes(const server_model&) {}
    void show(std::ostream& os) const override { os << "listener_closed"; }

private:
    prediction predict(server_model& m) const override { return m.listener_closed(); }
    observation feed(const server_model&, const server_model& after,
                     core_under_test& sut) const override {
        return sut.feed(core::events::listener_closed{}, after.clock_ns);
    }
};

// Close, with a drain timeout: none, ordinary ones, the edges of the overflow guard
// (one past what the clock can add: no deadline; the largest that fits), and a
// negative one, which the core must refuse.
class close_server : public model_command {
public:
    explicit close_server(const server_model& m)
        : close_existing_(*rc::gen::weightedElement<bool>({{3U, false}, {2U, true}})) {
        const time_ns room_ns = core::no_deadline_ns - m.clock_ns;
        timeout_ns_ = *rc::gen::elementOf(std::vector<time_ns>{
            core::no_deadline_ns, core::no_deadline_ns, 0, core::ns_per_ms, 5 * core::ns_per_ms,
            core::ns_per_s, 30 * core::ns_per_s, 120 * core::ns_per_s, room_ns + 1, room_ns - 1,
            core::no_deadline_ns - 1, -1});
    }
    void show(std::ostream& os) const override {
        os << "close_requested(close_existing " << close_existing_ << ", drain timeout "
           << (timeout_ns_ == core::no_deadline_ns ? std::string("none")
                                                   : std::to_string(timeout_ns_))
           << ")";
    }

private:
    prediction predict(server_model& m) const override {
        return m.close(close_existing_, timeout_ns_);
    }
    observation feed(const server_model&, const server_model& after,
                     core_under_test& sut) const override {
        return sut.feed(core::events::close_requested{close_existing_, timeout_ns_},
                        after.clock_ns);
    }
    bool close_existing_;
    time_ns timeout_ns_ = core::no_deadline_ns;
};

class set_drop : public model_command {
public:
    explicit set_drop(const server_model&) : drop_(*rc::gen::arbitrary<bool>()) {}
    void show(std::ostream& os) const override { os << "drop_mode_set(" << drop_ << ")"; }

private:
    prediction predict(server_model& m) const override { return m.set_drop(drop_); }
    observation feed(const server_model&, const server_model& after,
                     core_under_test& sut) const override {
        return sut.feed(core::events::drop_mode_set{drop_}, after.clock_ns);
    }
    bool drop_;
};

// Time moves on by a fixed step or to just around the next deadline; usually the
// driver's timer reports it, sometimes the next event is the first to see it.
class time_passes : public model_command {
public:
    explicit time_passes(const server_model& m) {
        std::vector<time_ns> deltas = {0,
                                       1,
                                       core::ns_per_ms,
                                       4 * core::ns_per_ms,
                                       5 * core::ns_per_ms,
                                       6 * core::ns_per_ms,
                                       100 * core::ns_per_ms,
                                       core::ns_per_s,
                                       2 * core::ns_per_s,
                                       59 * core::ns_per_s,
                                       61 * core::ns_per_s};
        // Deadlines at the far end of time (a drain timeout that just fits) are left
        // alone: the clock must stay clear of overflowing.
        const time_ns deadline = m.next_deadline_ns();
        if (deadline != core::no_deadline_ns && deadline > m.clock_ns + 1 &&
            deadline - m.clock_ns < 48 * 3600 * core::ns_per_s) {
            const time_ns to_deadline = deadline - m.clock_ns;
            deltas.insert(deltas.end(),
                          {to_deadline - 1, to_deadline, to_deadline, to_deadline + 1});
        }
        // The writer's age is measured in stretches of a sixteenth of its limit: a
        // write just inside or just past a stretch of the last one.
        if (m.writes() && m.opts.buffer_age_limit_ns != core::unlimited_age_ns) {
            const time_ns spacing_ns = std::max<time_ns>(m.opts.buffer_age_limit_ns / 16, 1);
            deltas.insert(deltas.end(), {spacing_ns - 1, spacing_ns, spacing_ns + 1});
        }
        // The notices' once-a-minute limit, to the nanosecond.
        for (const time_ns last : {m.last_at_limit_notice_ns, m.last_resources_notice_ns}) {
            if (last == model::never_ns) continue;
            const time_ns again = last + model::notice_every_ns;
            if (again > m.clock_ns) {
                const time_ns to_again = again - m.clock_ns;
                deltas.insert(deltas.end(), {to_again - 1, to_again, to_again, to_again});
            }
        }
        delta_ns_ = *rc::gen::elementOf(deltas);
        fire_ = *rc::gen::weightedElement<bool>({{6U, true}, {1U, false}});
    }
    void show(std::ostream& os) const override {
        os << "time passes " << delta_ns_ << " ns" << (fire_ ? ", timer_fired" : "");
    }

private:
    prediction predict(server_model& m) const override { return m.time_passes(delta_ns_, fire_); }
    observation feed(const server_model&, const server_model& after,
                     core_under_test& sut) const override {
        return sut.feed(core::events::timer_fired{}, after.clock_ns);
    }
    time_ns delta_ns_ = 0;
    bool fire_ = true;
};

class event_in_the_past : public model_command {
public:
    explicit event_in_the_past(const server_model&) {}
    void checkPreconditions(const server_model& m) const override {
        RC_PRE(m.server_now_ns != model::never_ns);
    }
    void show(std::ostream& os) const override { os << "timer_fired in the past"; }

private:
    prediction predict(server_model&) const override { return server_model::event_in_the_past(); }
    observation feed(const server_model& before, const server_model&,
                     core_under_test& sut) const override {
        return sut.feed(core::events::timer_fired{}, before.server_now_ns - 1);
    }
};

enum class command_kind : std::uint8_t {
    readable,
    accept,
    accept_not_asked_for,
    shed,
    accept_error,
    batch_done,
    batch_done_then_close,
    handler_returns,
    write_bytes,
    flush_bytes,
    write_fails,
    extra_completion,
    socket_closes,
    reserve_answer,
    forged_id,
    listener_closes,
    close,
    set_drop,
    time_passes,
    event_in_the_past,
};

command_ptr make_command(command_kind kind, const server_model& m) {
    switch (kind) {
        case command_kind::readable: return std::make_shared<const report_readable>(m);
        case command_kind::accept: return std::make_shared<const accept_socket>(m);
        case command_kind::accept_not_asked_for:
            return std::make_shared<const accept_not_asked_for>(m);
        case command_kind::shed: return std::make_shared<const shed_socket>(m);
        case command_kind::accept_error: return std::make_shared<const accept_error>(m);
        case command_kind::batch_done: return std::make_shared<const report_batch_done>(m);
        case command_kind::batch_done_then_close:
            return std::make_shared<const batch_done_then_close>(m);
        case command_kind::handler_returns: return std::make_shared<const handler_returns>(m);
        case command_kind::write_bytes: return std::make_shared<const write_bytes>(m);
        case command_kind::flush_bytes: return std::make_shared<const flush_bytes>(m);
        case command_kind::write_fails: return std::make_shared<const write_fails>(m);
        case command_kind::extra_completion: return std::make_shared<const extra_completion>(m);
        case command_kind::socket_closes: return std::make_shared<const socket_closes>(m);
        case command_kind::reserve_answer: return std::make_shared<const reserve_answer>(m);
        case command_kind::forged_id: return std::make_shared<const forged_id>(m);
        case command_kind::listener_closes: return std::make_shared<const listener_closes>(m);
        case command_kind::close: return std::make_shared<const close_server>(m);
        case command_kind::set_drop: return std::make_shared<const set_drop>(m);
        case command_kind::time_passes: return std::make_shared<const time_passes>(m);
        case command_kind::event_in_the_past: break;
    }
    return std::make_shared<const event_in_the_past>(m);
}

}  // namespace

rc::Gen<command_ptr> next_command(const server_model& m) {
    const bool waiting = m.step == model::step_phase::waiting;
    const bool batching = m.step == model::step_phase::batch;
    const bool wants = m.batch_wants_more();
    const bool running = std::any_of(m.live.begin(), m.live.end(),
                                     [](const auto& e) { return handler_running(e.second); });
    const bool closing = std::any_of(m.live.begin(), m.live.end(),
                                     [](const auto& e) { return socket_closing(e.second); });
    const bool backing_off = m.back_off_until_ns > m.server_now_ns;
    const bool writes = m.form == core::connection_form::reader_writer;
    const bool holding = std::any_of(m.live.begin(), m.live.end(),
                                     [](const auto& e) { return writer_holds_bytes(e.second); });
    const bool flushing = std::any_of(m.live.begin(), m.live.end(),
                                      [](const auto& e) { return writer_flushing(e.second); });
    const bool hold_asked = m.reserve == model::reserve_phase::requested;
    const bool writer_timer = std::any_of(m.live.begin(), m.live.end(), [](const auto& e) {
        return e.second.look_at_ns != core::no_deadline_ns;
    });
    const auto when = [](bool condition, std::size_t likely, std::size_t otherwise) {
        return condition ? likely : otherwise;
    };
    const std::vector<std::pair<std::size_t, command_kind>> weights = {
        {when(waiting, 30, 1), command_kind::readable},
        {when(wants && !m.shed, 30, 0), command_kind::accept},
        {when(wants && !m.shed, 0, when(wants, 4, 1)), command_kind::accept_not_asked_for},
        {when(wants && m.shed, 30, 1), command_kind::shed},
        {when(wants, 14, 1), command_kind::accept_error},
        {when(batching, when(wants, 5, 30), 1), command_kind::batch_done},
        {when(batch_would_start_handlers(m), 2, 0), command_kind::batch_done_then_close},
        {when(running, 12, 1), command_kind::handler_returns},
        {when(running, when(writes, 14, 1), 0), command_kind::write_bytes},
        {when(holding, 12, when(writes, 1, 0)), command_kind::flush_bytes},
        {when(flushing, when(writes, 3, 1), 0), command_kind::write_fails},
        {1, command_kind::extra_completion},
        {when(closing, 20, 1), command_kind::socket_closes},
        {when(hold_asked, 30, 1), command_kind::reserve_answer},
        {1, command_kind::forged_id},
        {when(m.listener == model::listener_phase::closing, 10, 1), command_kind::listener_closes},
        {2, command_kind::close},
        {2, command_kind::set_drop},
        {when(backing_off || m.closed || writer_timer, 12, 4), command_kind::time_passes},
        {when(m.server_now_ns != model::never_ns, 1, 0), command_kind::event_in_the_past},
    };
    std::size_t total = 0;
    for (const auto& w : weights)
        total += w.first;
    return rc::gen::exec([weights, total, m] {
        std::size_t ticket = *rc::gen::inRange<std::size_t>(0, total);
        for (const auto& [weight, kind] : weights) {
            if (ticket < weight) return make_command(kind, m);
            ticket -= weight;
        }
        return make_command(command_kind::time_passes, m);
    });
}

}  // namespace berth::test
