// SEMANTICS.md sections 9 and 10: invariant() holds after every step of a long
// scripted run that mixes every event (the writer's and the reserve's included),
// every socket that enters the core leaves it through exactly one close, and a
// reserve the driver holds is released exactly once.
#include <algorithm>
#include <cerrno>
#include <set>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

namespace {

// A fixed-seed generator: the run is the same every time, so a failure replays.
class script_random {
public:
    explicit script_random(std::uint64_t seed) : state_(seed) {}
    std::uint32_t below(std::uint32_t n) {
        state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::uint32_t>((state_ >> 33) % n);
    }

private:
    std::uint64_t state_;
};

// Plays the driver's part, keeping its own account of what the core handed out,
// and checks the core's bookkeeping against it after every event.
class scripted_run {
public:
    scripted_run(const core::options& opts, core::connection_form form, std::uint64_t seed)
        : d_(opts, form), form_(form), random_(seed) {
        settle();
    }

    void step() {
        switch (random_.below(10)) {
            case 0:
            case 1: accept_some(); break;
            case 2: end_batch(); break;
            case 3: return_handler(); break;
            case 4:
                if (form_ == core::connection_form::reader_writer && random_.below(5) != 0) {
                    writer_event();
                } else {
                    other_event();
                }
                break;
            case 5:
            case 6: report_socket_closed(); break;
            case 7: feed(ev::drop_mode_set{random_.below(4) == 0}); break;
            case 8: advance(); break;
            case 9:
                if (close_listener_outstanding_) {
                    feed(ev::listener_closed{});
                    close_listener_outstanding_ = false;
                }
                break;
        }
    }

    void close(bool existing, core::time_ns drain_timeout_ns) {
        feed(ev::close_requested{existing, drain_timeout_ns});
    }

    // Finishes everything the way a well-behaved driver would, and checks that
    // the server ends with nothing left and both completions fired once.
    void wind_down() {
        close(true, core::no_deadline_ns);
        for (int i = 0; i < 100'000 && !done(); ++i) {
            if (d_.server().accept_step() == core::accept_phase::batching) {
                feed(ev::batch_done{});
            } else if (close_listener_outstanding_) {
                feed(ev::listener_closed{});
                close_listener_outstanding_ = false;
            } else if (!closing_.empty()) {
                report_socket_closed();
            } else if (!running_.empty()) {
                return_handler();
            } else {
                break;
            }
        }
        CHECK(done());
        CHECK(d_.server().num_connections() == 0);
        CHECK(complete_close_seen_ == 1);
        CHECK(handlers_finished_seen_ == 1);
        CHECK(open_sockets_.empty());
        CHECK_FALSE(reserve_held_);
    }

    core::server& server() { return d_.server(); }
    [[nodiscard]] std::uint64_t events() const { return events_; }

private:
    [[nodiscard]] bool done() const {
        return complete_close_seen_ > 0 && handlers_finished_seen_ > 0 && open_sockets_.empty();
    }

    void feed(const core::event& e) {
        const core::event_error error = d_.feed(e);
        REQUIRE_MESSAGE(error == core::event_error::none, core::to_string(error));
        ++events_;
        settle();
    }

    // Accounts for the actions and checks the invariants; silent when they hold,
    // so a long run does not flood the report.
    void settle() {
        for (const core::action& a : d_.take())
            account(a);
        const core::server& s = d_.server();
        if (const char* broken = s.check_invariant()) FAIL(std::string(broken));
        if (s.num_connections() > s.opts().max_connections) FAIL("num_connections over the limit");
        std::uint32_t live = 0;
        s.for_each_connection([&live](core::connection_id, core::socket_handle) { ++live; });
        if (live != s.num_connections()) FAIL("for_each_connection disagrees with num_connections");
    }

    void account(const core::action& a) {
        using namespace core::actions;
        if (const auto* batch = std::get_if<accept_batch>(&a)) {
            batch_is_shed_ = batch->shed;
        } else if (const auto* x = std::get_if<start_handler>(&a)) {
            if (!open_sockets_.count(x->socket)) FAIL("a handler started on an unknown socket");
            if (std::find(running_.begin(), running_.end(), x->id) != running_.end())
                FAIL("a handler started twice");
            running_.push_back(x->id);
            started_.push_back(x->id);
        } else if (const auto* c = std::get_if<close_socket>(&a)) {
            if (open_sockets_.erase(c->socket) != 1)
                FAIL("a socket closed twice or never accepted");
            closing_.push_back(c->id);
        } else if (const auto* dropped = std::get_if<close_dropped_socket>(&a)) {
            if (open_sockets_.erase(dropped->socket) != 1)
                FAIL("a dropped socket closed twice or never accepted");
        } else if (std::holds_alternative<close_listener>(a)) {
            if (close_listener_outstanding_ || listener_closed_asked_)
                FAIL("close_listener handed out twice");
            close_listener_outstanding_ = true;
            listener_closed_asked_ = true;
        } else if (const auto* r = std::get_if<release_connection>(&a)) {
            const bool running =
                std::find(running_.begin(), running_.end(), r->id) != running_.end();
            const bool closing =
                std::find(closing_.begin(), closing_.end(), r->id) != closing_.end();
            if (running || closing) FAIL("released while its handler runs or its socket closes");
            if (d_.server().is_live(r->id)) FAIL("a released id is still live");
            const auto started = std::find(started_.begin(), started_.end(), r->id);
            if (started == started_.end()) FAIL("released, but never started");
            if (started != started_.end()) started_.erase(started);
            released_.push_back(r->id);
            if (r->decided_by == core::result_source::writer &&
                form_ != core::connection_form::reader_writer)
                FAIL("a writer decided a result on a server without writers");
        } else if (std::holds_alternative<complete_close>(a)) {
            ++complete_close_seen_;
        } else if (std::holds_alternative<complete_handlers_finished>(a)) {
            ++handlers_finished_seen_;
            if (d_.server().num_connections() != 0) FAIL("handlers finished with connections left");
        } else if (std::holds_alternative<wait_readable>(a)) {
            if (d_.server().is_closed()) FAIL("wait_readable after close");
        } else if (std::holds_alternative<hold_reserve>(a)) {
            if (d_.server().opts().on_accept_exhaustion != core::exhaustion_mode::shed)
                FAIL("a reserve asked for in back-off mode");
            if (reserve_held_) FAIL("a reserve asked for while one is held");
            reserve_held_ = reserve_answer_ == core_driver::reserve_answer::hold;
        } else if (std::holds_alternative<release_reserve>(a)) {
            if (!reserve_held_) FAIL("a reserve released that is not held");
            reserve_held_ = false;
        }
    }

    void accept_some() {
        core::server& s = d_.server();
        if (s.accept_step() == core::accept_phase::waiting_readable) feed(ev::listener_readable{});
        const std::uint32_t n = random_.below(6);
        for (std::uint32_t i = 0; i < n && s.accept_batch_wants_more(); ++i) {
            const std::uint32_t kind = random_.below(20);
            if (kind < 14 && batch_is_shed_) {
                feed(ev::socket_shed{});  // closed by the driver at once
            } else if (kind < 14) {
                const core::socket_handle socket = next_socket_++;
                open_sockets_.insert(socket);
                feed(ev::socket_accepted{socket});
            } else if (kind < 16) {
                feed(ev::accept_failed{EAGAIN});
            } else if (kind < 19) {
                feed(ev::accept_failed{ECONNABORTED});
            } else {
                feed(ev::accept_failed{EMFILE});
            }
        }
    }

    void end_batch() {
        if (d_.server().accept_step() == core::accept_phase::batching) feed(ev::batch_done{});
    }

    core::connection_id take_random(std::vector<core::connection_id>& ids) {
        const std::size_t i = random_.below(static_cast<std::uint32_t>(ids.size()));
        const core::connection_id id = ids[i];
        ids.erase(ids.begin() + static_cast<std::ptrdiff_t>(i));
        return id;
    }

    void return_handler() {
        if (running_.empty()) return;
        const core::connection_id id = take_random(running_);
        const auto result = random_.below(3) == 0 ? core::outcome::error : core::outcome::ok;
        feed(ev::handler_returned{id, result});
    }

    core::connection_id pick(const std::vector<core::connection_id>& ids) {
        return ids[random_.below(static_cast<std::uint32_t>(ids.size()))];
    }

    // What a writer reports: writes by running handlers, flushes and failures of any
    // started connection (a returned handler's writer may still be flushing).
    void writer_event() {
        switch (random_.below(6)) {
            case 0:
            case 1:
            case 2:
                if (!running_.empty()) {
                    feed(ev::bytes_buffered{pick(running_), random_.below(400)});
                }
                break;
            case 3:
            case 4:
                if (!started_.empty()) {
                    const core::connection_id id = pick(started_);
                    const std::uint64_t held = d_.held(id);
                    const std::uint64_t bytes =
                        random_.below(2) == 0 ? held
                                              : random_.below(static_cast<std::uint32_t>(held) + 1);
                    feed(ev::bytes_flushed{id, bytes});
                }
                break;
            case 5:
                if (!started_.empty()) {
                    feed(ev::write_failed{pick(started_), random_.below(2) == 0 ? EPIPE : EIO});
                }
                break;
        }
    }

    // Events a driver reports besides the writer's: a handler completing twice (for
    // a live or a released connection), and how the next reserve is answered.
    void other_event() {
        switch (random_.below(3)) {
            case 0:
                if (!started_.empty()) feed(ev::extra_completion{pick(started_)});
                break;
            case 1:
                if (!released_.empty()) feed(ev::extra_completion{pick(released_)});
                break;
            case 2:
                reserve_answer_ = random_.below(3) == 0 ? core_driver::reserve_answer::fail
                                                        : core_driver::reserve_answer::hold;
                d_.set_reserve_answer(reserve_answer_);
                break;
        }
    }

    void report_socket_closed() {
        if (closing_.empty()) return;
        feed(ev::socket_closed{take_random(closing_)});
    }

    void advance() {
        const core::time_ns delta_ns =
            static_cast<core::time_ns>(random_.below(2000)) * core::ns_per_ms;
        const core::event_error error = d_.advance(delta_ns);
        REQUIRE(error == core::event_error::none);
        ++events_;
        settle();
    }

    core_driver d_;
    core::connection_form form_;
    script_random random_;
    std::vector<core::connection_id> running_;
    std::vector<core::connection_id> started_;   // started and not yet released
    std::vector<core::connection_id> released_;  // for extra completions of stale ids
    core_driver::reserve_answer reserve_answer_ = core_driver::reserve_answer::hold;
    bool reserve_held_ = false;
    std::vector<core::connection_id> closing_;
    std::set<core::socket_handle> open_sockets_;
    core::socket_handle next_socket_ = 1;
    bool close_listener_outstanding_ = false;
    bool listener_closed_asked_ = false;
    int complete_close_seen_ = 0;
    int handlers_finished_seen_ = 0;
    bool batch_is_shed_ = false;
    std::uint64_t events_ = 0;
};

void run_script(const core::options& opts, std::uint64_t seed, int steps,
                core::connection_form form = core::connection_form::socket) {
    scripted_run run(opts, form, seed);
    for (int i = 0; i < steps; ++i)
        run.step();
    // Close part-way with a drain deadline, keep going, then wind down.
    run.close(false, 3 * core::ns_per_s);
    for (int i = 0; i < steps / 4; ++i)
        run.step();
    run.wind_down();
    CHECK(run.server().invariant());
    // The script did exercise the server (a no-op step is allowed, an idle run is not).
    CHECK(run.events() > static_cast<std::uint64_t>(steps) / 4);
    CHECK(run.server().stats().accepted > 0);
}

}  // namespace

TEST_CASE("check_invariant returns nullptr for a new server and a closed one") {
    core_driver d(options_with(4));
    CHECK(d.server().check_invariant() == nullptr);
    CHECK(d.server().invariant());
    REQUIRE(d.feed(ev::close_requested{}) == core::event_error::none);
    REQUIRE(d.feed(ev::listener_closed{}) == core::event_error::none);
    CHECK(d.server().check_invariant() == nullptr);
}

TEST_CASE("The invariant holds through a long scripted run, and every socket is closed once") {
    SUBCASE("small server, one socket per batch, ignore") {
        run_script(options_with(3, 1, core::error_policy::ignore), 1, 4000);
    }
    SUBCASE("batches of 4, call, shedding") {
        core::options o = options_with(8, 4, core::error_policy::call);
        o.on_accept_exhaustion = core::exhaustion_mode::shed;
        run_script(o, 2, 4000);
    }
    SUBCASE("batches of 16, raise") {
        run_script(options_with(50, 16, core::error_policy::raise), 3, 1000);
    }
    SUBCASE("created in drop mode") {
        core::options o = options_with(5, 2, core::error_policy::ignore);
        o.drop_incoming_connections = true;
        run_script(o, 4, 2000);
    }
}

TEST_CASE(
    "The invariant holds through a long scripted run of a reader_writer server: writes, "
    "flushes, failed writes, age limits, final flushes and the shed reserve") {
    SUBCASE("batches of 4, call, shedding, small limits") {
        core::options o = options_with(8, 4, core::error_policy::call);
        o.on_accept_exhaustion = core::exhaustion_mode::shed;
        o.buffer_age_limit_ns = 1500 * core::ns_per_ms;
        o.buffer_limit_bytes = 1000;
        o.final_flush_timeout_ns = core::ns_per_s;
        run_script(o, 5, 6000, core::connection_form::reader_writer);
    }
    SUBCASE("one socket per batch, raise, no final flush time, unlimited writers") {
        core::options o = options_with(3, 1, core::error_policy::raise);
        o.buffer_age_limit_ns = core::unlimited_age_ns;
        o.buffer_limit_bytes = core::unlimited_bytes;
        o.final_flush_timeout_ns = 0;
        run_script(o, 6, 3000, core::connection_form::reader_writer);
    }
    SUBCASE("batches of 16, ignore, defaults") {
        run_script(options_with(20, 16, core::error_policy::ignore), 7, 4000,
                   core::connection_form::reader_writer);
    }
}
