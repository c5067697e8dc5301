// The driver the fuzz target feeds the core through. It keeps its own books of
// what the core asked for (a readability wait, a batch, handler starts, socket and
// listener closes) and of every socket handle it handed in, so that it can
//   - tell in advance whether an event breaks the contract, and check that the
//     core refuses exactly those and that a refused event changes nothing;
//   - check every action against its books (no unknown id, no handle closed
//     twice, completions once and in order, releases only after both ends);
//   - at the end, close the server, answer everything still outstanding within a
//     bounded number of rounds, and check that every handle was closed exactly
//     once, both completions fired once and no connection remains.
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
    explicit fuzz_driver(const core::options& opts);

    // Events; each one is checked and followed by a full drain.
    void readable();
    void accept();
    /// A shed batch's accept, the socket closed at once by the driver.
    void shed();
    void accept_error(int error_value);
    void batch_done();
    void handler_returned(core::connection_id id, core::outcome result);
    void writer_failed(core::connection_id id);
    void peer_gone(core::connection_id id);
    void socket_closed(core::connection_id id);
    void listener_closed();
    void close(bool close_existing, core::time_ns drain_after_ns);
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
        bool dead = false;  // released, or freed without a handler
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
    void adopt(core::connection_id id);  // a new connection appeared in an action
    void bury(core::connection_id id);   // its slot is free and its id dead

    core::server server_;
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

    std::map<std::uint64_t, connection> connections_;  // key: index << 32 | generation
    std::vector<core::connection_id> ids_;             // every id ever issued, in order
    std::vector<core::connection_id> live_ids_;        // those not yet released or freed
    std::map<core::socket_handle, handle_state> handles_;
};

}  // namespace berth::fuzz
