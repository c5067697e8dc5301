// A tiny driver for the core in tests: it owns a virtual clock, feeds events,
// drains actions in the contract's order and records them, so a test reads as
// "this happened, so the server did that".
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "berth/core/server.hpp"

namespace berth::test {

class core_driver {
public:
    /// How the driver answers a `hold_reserve` action: it opens the reserve
    /// (`hold`), fails to (`fail`), or leaves the request outstanding for the test
    /// to answer with its own `reserve_held` (`leave`).
    enum class reserve_answer : std::uint8_t { hold, fail, leave };

    explicit core_driver(const core::options& opts,
                         core::connection_form form = core::connection_form::socket,
                         reserve_answer answer = reserve_answer::hold)
        : server_(opts, form), reserve_answer_(answer) {
        drain();
    }

    /// Feeds `ev` at the current virtual time and drains the actions it caused.
    core::event_error feed(const core::event& ev) {
        const core::event_error error = server_.handle(ev, now_ns_);
        drain();
        return error;
    }

    /// Moves the virtual clock forward and reports the timer.
    core::event_error advance(core::time_ns delta_ns) {
        now_ns_ += delta_ns;
        return feed(core::events::timer_fired{});
    }

    /// Runs one full accept step: expects a pending wait_readable, reports
    /// readability, then reports each of `sockets` as accepted while the core
    /// wants more (as shed, closed at once, when the batch is a shed batch), then
    /// batch_done. Returns how many sockets the kernel gave.
    std::size_t accept(const std::vector<core::socket_handle>& sockets);

    /// Like accept(), but with errno values; 0 in `results` means "the next socket".
    std::size_t accept_results(const std::vector<int>& results);

    // The writer of a `reader_writer` connection, as a driver reports it.
    /// The handler wrote `bytes`: feeds bytes_buffered. Returns whether the core's
    /// books took them (the writer keeps them only then).
    bool write(core::connection_id id, std::uint64_t bytes);
    /// The kernel took `bytes`: feeds bytes_flushed.
    core::event_error flush(core::connection_id id, std::uint64_t bytes);
    /// A write failed with `error_value`: feeds write_failed.
    core::event_error write_fails(core::connection_id id, int error_value);
    /// What the core's books say the writer holds (0 when the id is not live).
    [[nodiscard]] std::uint64_t held(core::connection_id id) const;

    /// How later `hold_reserve` actions are answered (by default: `hold`).
    void set_reserve_answer(reserve_answer answer) { reserve_answer_ = answer; }

    /// Actions pulled since the last take(), oldest first; clears the record.
    std::vector<core::action> take() {
        std::vector<core::action> out;
        out.swap(actions_);
        return out;
    }

    /// The actions of one kind among those not yet taken, in order.
    template <typename A>
    std::vector<A> pending_of() const {
        std::vector<A> out;
        for (const core::action& a : actions_) {
            if (const A* x = std::get_if<A>(&a)) out.push_back(*x);
        }
        return out;
    }

    /// Takes the recorded actions of kind A, dropping the others.
    template <typename A>
    std::vector<A> take_of() {
        std::vector<A> out = pending_of<A>();
        actions_.clear();
        return out;
    }

    template <typename A>
    [[nodiscard]] bool saw() const {
        return !pending_of<A>().empty();
    }

    /// Whether the last drain left the core waiting for readability.
    [[nodiscard]] bool waiting_readable() const {
        return server_.accept_step() == core::accept_phase::waiting_readable;
    }

    /// The deadline of the last idle action.
    [[nodiscard]] core::time_ns deadline_ns() const { return deadline_ns_; }

    core::server& server() { return server_; }
    [[nodiscard]] core::time_ns now_ns() const { return now_ns_; }
    void set_now_ns(core::time_ns now_ns) { now_ns_ = now_ns; }

    /// Next unique socket handle, for tests that need fresh ones.
    core::socket_handle next_socket() { return next_socket_++; }

private:
    void drain();

    core::server server_;
    core::time_ns now_ns_ = 0;
    /// The socket event for the batch in progress: shed batches take no sockets.
    [[nodiscard]] core::event accepted(core::socket_handle socket) const;

    core::time_ns deadline_ns_ = core::no_deadline_ns;
    bool batch_is_shed_ = false;
    reserve_answer reserve_answer_ = reserve_answer::hold;
    std::vector<core::action> actions_;
    core::socket_handle next_socket_ = 1000;
};

/// The names of actions, for failure messages: "start_handler(3.1)".
std::string describe(const core::action& a);
std::string describe(const std::vector<core::action>& as);

}  // namespace berth::test
