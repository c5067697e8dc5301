// The driver the fuzz target feeds the core through. It keeps its own books of
// what the core asked for (a readability wait, a batch, handler starts, socket and
// listener closes, the shed reserve), of every socket handle it handed in, and of
// the bytes each `create` connection's writer holds, so that it can
//   - tell in advance whether an event breaks the contract, and check that the
//     core refuses exactly those and that a refused event changes nothing;
//   - check every action against its books (no unknown id, no handle closed
//     twice, completions once and in order, releases only after both ends, a
//     reserve released only when held and right before a shed batch), and the
//     core's writer books against its own after every drain;
//   - at the end, close the server, answer everything still outstanding within a
//     bounded number of rounds, and check that every handle was closed exactly
//     once, both completions fired once, no connection remains and the reserve
//     was given back.
// Any breach prints what broke and aborts, which libFuzzer reports as a crash.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "berth/core/server.hpp"

namespace berth::fuzz {

class fuzz_driver {
public:
    fuzz_driver(const core::options& opts, core::connection_form form);

    // Events; each one is checked and followed by a full drain.
    void readable();
    void accept();
    /// A shed batch's accept, the socket closed at once by the driver.
    void shed();
    void accept_error(int error_value);
    void batch_done();
    void handler_returned(core::connection_id id, core::outcome result);
    void bytes_buffered(core::connection_id id, std::uint64_t bytes);
    void bytes_flushed(core::connection_id id, std::uint64_t bytes);
    void write_failed(core::connection_id id, int error_value);
    void extra_completion(core::connection_id id);
    void reserve_held(bool held);
    void socket_closed(core::connection_id id);
    void listener_closed();
    /// `drain_timeout_ns` as the event carries it: relative, possibly negative
    /// (refused) or too large to add (no deadline).
    void close(bool close_existing, core::time_ns drain_timeout_ns);
    void set_drop(bool drop);
    void time_passes(core::time_ns delta_ns);
    /// A timer event stamped before the last accepted event: must be refused.
    void event_in_the_past();
    /// What a well-behaved driver would report next (readability, an accept, the
    /// batch's end, a close, a handler's return, the timer), so that inputs reach
    /// deep states in few bytes.
    void next_natural_step();
    /// Makes the next handler that starts close the server at once (as a handler
    /// may): the close is fed while the drain that started it is under way.
    void close_in_next_handler(bool close_existing);

    /// Closes the server and answers everything until it is finished; checks the
    /// end state. `close_existing` picks how the final close is asked.
    void finish(bool close_existing);

    // Ids for the fuzz input to pick from: `which` selects one, wrapping around;
    // a forged id (never issued) comes out for some values.
    [[nodiscard]] core::connection_id running_handler(std::uint32_t which) const;
    [[nodiscard]] core::connection_id closing_socket(std::uint32_t which) const;
    /// A connection whose writer holds bytes (or any id, as above).
    [[nodiscard]] core::connection_id holding_writer(std::uint32_t which) const;
    /// What the driver keeps for this connection's writer; 0 for an unknown id.
    [[nodiscard]] std::uint64_t held(core::connection_id id) const;
    [[nodiscard]] core::connection_id any_id(std::uint32_t which) const;
    [[nodiscard]] core::time_ns deadline_ns() const { return deadline_ns_; }
    [[nodiscard]] core::time_ns now_ns() const { return now_ns_; }

private:
    struct connection {
        core::socket_handle socket = 0;
        bool started = false;  // start_handler was pulled
        bool running = false;  // started and handler_returned not yet accepted
        bool returned = false;
        bool closing = false;  // close_socket pulled, socket_closed not yet accepted
        bool closed = false;
        bool dead = false;       // released, or freed without a handler
        std::uint64_t held = 0;  // bytes written and taken, not yet flushed or dropped
    };
    struct handle_state {
        bool connection = false;  // became a connection (vs. dropped)
        int closes = 0;
    };

    /// Feeds `ev`; `expected` is the driver's own reading of the contract: the
    /// core must answer exactly that.
    void feed(const core::event& ev, core::event_error expected, const char* what);
    void feed_at(const core::event& ev, core::time_ns at_ns, core::event_error expected,
                 const char* what);
    [[nodiscard]] core::event_error accept_result_error(bool shedding) const;
    [[nodiscard]] core::event_error connection_error(core::connection_id id) const;
    void drain();
    void take(const core::action& a);
    void after_accepted(const core::event& ev);
    [[nodiscard]] std::string snapshot() const;
    [[nodiscard]] connection* live(core::connection_id id);
    [[nodiscard]] bool outstanding() const;
    void check_invariant(const char* where) const;
    void check_writers() const;
    [[nodiscard]] core::event_error writer_error(core::connection_id id, bool writing) const;
    void adopt(core::connection_id id);  // a new connection appeared in an action
    void bury(core::connection_id id);   // its slot is free and its id dead

    core::server server_;
    core::connection_form form_;
    core::time_ns now_ns_ = 1'000'000 * core::ns_per_s;
    core::time_ns deadline_ns_ = core::no_deadline_ns;
    core::socket_handle next_socket_ = 1;

    bool waiting_readable_ = false;
    bool readable_reported_ = false;  // listener_readable accepted, accept_batch not pulled
    bool batching_ = false;
    std::uint32_t batch_budget_ = 0;
    std::uint32_t batch_results_ = 0;
    bool batch_ended_ = false;
    bool batch_shed_ = false;
    bool listener_closing_ = false;
    bool listener_closed_ = false;
    int listener_closes_ = 0;
    int close_completions_ = 0;
    int finished_completions_ = 0;
    int fatal_reports_ = 0;
    bool close_in_next_handler_ = false;
    bool close_existing_in_handler_ = false;
    bool hold_outstanding_ = false;  // hold_reserve pulled, reserve_held not yet accepted
    bool holds_reserve_ = false;     // the reserved descriptor is open
    bool shed_batch_owed_ = false;   // release_reserve came for a shed batch
    bool writer_check_deferred_ = false;

    std::map<std::uint64_t, connection> connections_;  // key: index << 32 | generation
    std::vector<core::connection_id> ids_;             // every id ever issued, in order
    std::vector<core::connection_id> live_ids_;        // those not yet released or freed
    std::map<core::socket_handle, handle_state> handles_;
};

}  // namespace berth::fuzz
