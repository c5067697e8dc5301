// The I/O-free state machine of one TCP server: accept loop, connection slots,
// error policy decisions, accept error back-off, close and its completions.
//
// The driver (a backend) feeds it events with the current time and pulls actions
// until it is idle. The full contract is in docs/architecture.md; in short:
//
//   - Call `handle(event, now_ns)` for everything the driver observes. A refused
//     event returns an `event_error` and changes nothing.
//   - After every `handle`, call `poll()` until it returns `actions::idle`,
//     executing each action before pulling the next. Polling when nothing is
//     pending is harmless: it returns `idle` again.
//   - Keep one timer armed at `idle::deadline_ns`; report `timer_fired` when it goes.
//
// Thread safety: none. One server belongs to one driver; calls must not overlap.
// The core never calls out, so a driver may call `handle` while executing an action.
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <limits>
#include <vector>

#include "berth/core/action.hpp"
#include "berth/core/detail/deadline_heap.hpp"
#include "berth/core/detail/slot_table.hpp"
#include "berth/core/event.hpp"
#include "berth/core/event_error.hpp"
#include "berth/core/options.hpp"
#include "berth/core/statistics.hpp"
#include "berth/core/types.hpp"
#include "berth/core/writer_tracker.hpp"

namespace berth::core {

namespace detail {
struct test_access;  // tests only: detail/test_access.hpp
}  // namespace detail

/// Where the accept loop stands. At most one accept step is outstanding.
enum class accept_phase : std::uint8_t {
    idle,              // no step outstanding
    waiting_readable,  // wait_readable pulled; listener_readable not yet reported
    readable,          // listener_readable reported; accept_batch not yet pulled
    batching,          // accept_batch pulled; batch_done not yet reported
};

enum class listener_state : std::uint8_t {
    open,
    close_pending,  // close requested; close_listener not yet pulled
    closing,        // close_listener pulled; listener_closed not yet reported
    closed,
};

/// The descriptor a shedding server keeps in reserve (SEMANTICS.md section 6).
enum class reserve_state : std::uint8_t {
    unused,     // back-off mode, or the listener is closed
    wanted,     // hold_reserve is due
    requested,  // hold_reserve pulled; reserve_held not yet reported
    held,
    missing,   // the last hold failed; asked again before the next accept step
    released,  // released for the shed batch in progress
};

/// Back-off after running out of descriptors or memory (SEMANTICS.md section 6).
inline constexpr time_ns back_off_initial_ns = 5 * ns_per_ms;
inline constexpr time_ns back_off_max_ns = 1 * ns_per_s;
/// Rate limit of the at-limit and out-of-resources notices.
inline constexpr time_ns notice_interval_ns = 60 * ns_per_s;

class server {
public:
    /// Precondition: `validate(opts)` found nothing wrong (asserted). Allocates the
    /// batch buffer and a first block of slots (with `reader_writer`, a writer's
    /// books for each); nothing after that until the number of live connections
    /// exceeds its previous peak.
    explicit server(const options& opts, connection_form form = connection_form::socket);

    /// Feeds one event. `now_ns` must not be earlier than the previous event's.
    [[nodiscard]] event_error handle(const event& ev, time_ns now_ns);

    /// The next action. Returns `actions::idle` when nothing is pending.
    [[nodiscard]] action poll();

    /// Inside an accept batch: whether the driver should call accept(2) again.
    /// False once the batch has its budget of attempts or an error ended it.
    [[nodiscard]] bool accept_batch_wants_more() const;

    [[nodiscard]] std::uint32_t num_connections() const { return num_connections_; }
    [[nodiscard]] bool is_closed() const { return closed_; }
    [[nodiscard]] bool is_dropping_incoming_connections() const { return drop_mode_; }
    [[nodiscard]] accept_phase accept_step() const { return phase_; }
    [[nodiscard]] listener_state listener() const { return listener_; }
    [[nodiscard]] bool close_completed() const { return close_completed_; }
    [[nodiscard]] bool handlers_finished() const { return handlers_finished_; }
    [[nodiscard]] time_ns now_ns() const { return now_ns_; }
    /// The time before which no accept step starts; in the past when not backing off.
    [[nodiscard]] time_ns back_off_until_ns() const { return back_off_until_ns_; }
    [[nodiscard]] const options& opts() const { return opts_; }
    [[nodiscard]] const statistics& stats() const { return stats_; }
    [[nodiscard]] connection_form form() const { return form_; }
    [[nodiscard]] reserve_state reserve() const { return reserve_; }

    /// Whether `id` names a live connection (admitted and not yet released).
    [[nodiscard]] bool is_live(connection_id id) const;

    /// The books of a live `reader_writer` connection's writer; nullptr for the
    /// socket form or an id that names no live connection. After a
    /// `bytes_buffered`, `accepts_writes()` says whether the bytes were taken.
    [[nodiscard]] const writer_tracker* writer_of(connection_id id) const;

    /// Calls `f(connection_id, socket_handle)` for every live connection, in slot order.
    template <typename F>
    void for_each_connection(F&& f) const {
        for (std::uint32_t i = 0; i < slots_.size(); ++i) {
            const detail::slot& s = slots_[i];
            if (s.in_use) f(connection_id{i, s.generation}, s.socket);
        }
    }

    /// Checks every invariant of the core's bookkeeping (SEMANTICS.md section 9).
    /// Returns nullptr when all hold, else a sentence naming the first that fails.
    /// Linear in the number of slots: for tests and the simulator, not hot paths.
    [[nodiscard]] const char* check_invariant() const;
    [[nodiscard]] bool invariant() const { return check_invariant() == nullptr; }

    /// The description of SEMANTICS.md section 9, as text and as JSON.
    friend std::ostream& operator<<(std::ostream& os, const server& s);
    void write_json(std::ostream& os) const;

private:
    friend struct detail::test_access;

    // Validation of each event against the contract; nothing is changed.
    [[nodiscard]] event_error check(const events::listener_readable&) const;
    [[nodiscard]] event_error check(const events::socket_accepted&) const;
    [[nodiscard]] event_error check(const events::socket_shed&) const;
    [[nodiscard]] event_error check(const events::accept_failed&) const;
    [[nodiscard]] event_error check(const events::batch_done&) const;
    [[nodiscard]] event_error check(const events::handler_returned&) const;
    [[nodiscard]] event_error check(const events::bytes_buffered&) const;
    [[nodiscard]] event_error check(const events::bytes_flushed&) const;
    [[nodiscard]] event_error check(const events::write_failed&) const;
    [[nodiscard]] event_error check(const events::extra_completion&) const;
    [[nodiscard]] event_error check(const events::socket_closed&) const;
    [[nodiscard]] event_error check(const events::listener_closed&) const;
    [[nodiscard]] event_error check(const events::close_requested&) const;
    [[nodiscard]] event_error check(const events::drop_mode_set&) const;
    [[nodiscard]] event_error check(const events::timer_fired&) const;
    [[nodiscard]] event_error check(const events::reserve_held&) const;

    // Application of a checked event.
    void apply(const events::listener_readable&);
    void apply(const events::socket_accepted&);
    void apply(const events::socket_shed&);
    void apply(const events::accept_failed&);
    void apply(const events::batch_done&);
    void apply(const events::handler_returned&);
    void apply(const events::bytes_buffered&);
    void apply(const events::bytes_flushed&);
    void apply(const events::write_failed&);
    void apply(const events::extra_completion&);
    void apply(const events::socket_closed&);
    void apply(const events::listener_closed&);
    void apply(const events::close_requested&);
    void apply(const events::drop_mode_set&);
    void apply(const events::timer_fired&);
    void apply(const events::reserve_held&);

    void advance_time(time_ns now_ns);

    // accept_loop.cpp
    [[nodiscard]] std::uint32_t free_slots() const;
    [[nodiscard]] bool can_start_accept_step() const;
    void count_attempt();
    void admit_batch();
    void pause_accepting();
    [[nodiscard]] bool poll_accept_step(action& out);
    [[nodiscard]] bool poll_reserve(action& out);
    [[nodiscard]] bool poll_dropped_socket(action& out);

    // connection.cpp
    [[nodiscard]] event_error find(connection_id id, std::uint32_t& index) const;
    std::uint32_t allocate_slot(socket_handle socket);
    void decide_result(std::uint32_t index, detail::result_state result, result_source source);
    void request_socket_close(std::uint32_t index);
    void release_if_done(std::uint32_t index);
    void free_slot(std::uint32_t index);
    [[nodiscard]] bool poll_connection(action& out);

    // writer_books.cpp
    [[nodiscard]] event_error check_writer_event(connection_id id, std::uint32_t& index) const;
    void judge_writer(std::uint32_t index);
    void schedule_writer_check(std::uint32_t index);
    void check_due_writers();
    [[nodiscard]] bool poll_connection_notice(action& out);

    // error_policy.cpp
    [[nodiscard]] policy_action decide_policy(detail::result_state result) const;

    // close.cpp
    void begin_close(bool close_existing_connections, time_ns drain_timeout_ns);
    void close_existing_connections(bool hold_close_completion);
    void drain_now();
    [[nodiscard]] bool poll_close(action& out);
    [[nodiscard]] bool poll_completions(action& out);

    // notices (accept_loop.cpp and close.cpp raise them; poll.cpp emits them)
    [[nodiscard]] bool notice_due(time_ns last_ns) const;
    [[nodiscard]] bool poll_notice(action& out);
    [[nodiscard]] time_ns next_deadline_ns() const;

    options opts_;
    connection_form form_;
    time_ns now_ns_ = std::numeric_limits<time_ns>::min();
    bool drop_mode_ = false;
    statistics stats_;

    // Connection slots.
    std::vector<detail::slot> slots_;
    detail::slot_list free_list_;
    detail::slot_list start_list_;
    detail::slot_list close_list_;
    detail::slot_list release_list_;
    std::uint32_t num_connections_ = 0;

    // The writers' books (reader_writer only), by slot index, and their deadlines.
    // A slot's deadline is never later than its writer's next_deadline_ns(); it may
    // be earlier (a flush moved the writer's on), and is then simply checked again.
    std::vector<writer_tracker> writers_;
    detail::deadline_heap writer_deadlines_;
    // Slots owing a connection notice (late_write), linked through notice_next.
    std::uint32_t notice_head_ = detail::nil_index;
    std::uint32_t notice_tail_ = detail::nil_index;

    // The accept step.
    accept_phase phase_ = accept_phase::idle;
    std::vector<socket_handle> batch_sockets_;  // capacity fixed at max_accepts_per_batch
    std::uint32_t batch_budget_ = 0;
    std::uint32_t batch_attempts_ = 0;
    bool batch_ended_ = false;
    bool batch_shed_ = false;
    /// Sockets of the last batch still to be handed out as close_dropped_socket;
    /// they are batch_sockets_[drop_cursor_ ..].
    bool dropping_batch_ = false;
    std::uint32_t drop_cursor_ = 0;

    // Accept errors.
    time_ns back_off_until_ns_ = std::numeric_limits<time_ns>::min();
    time_ns back_off_delay_ns_ = back_off_initial_ns;
    bool shed_next_batch_ = false;
    reserve_state reserve_ = reserve_state::unused;
    bool fatal_error_pending_ = false;
    int fatal_error_value_ = 0;

    // Close.
    bool closed_ = false;
    listener_state listener_ = listener_state::open;
    std::uint32_t held_by_close_ = 0;  // sockets holding back the close completion
    time_ns drain_deadline_ns_ = no_deadline_ns;
    bool drain_done_ = false;
    bool close_completed_ = false;
    bool handlers_finished_ = false;

    // Notices owed.
    bool at_limit_notice_pending_ = false;
    bool resources_notice_pending_ = false;
    bool drain_notice_pending_ = false;
    // The ids of extra completions still to be noticed, oldest first: a ring, so
    // that each notice names its own connection. Beyond its size, in one drain,
    // extra completions are only counted (a handler completing in a loop cannot
    // flood the operator's log, and nothing is allocated).
    static constexpr std::uint32_t extra_completion_notices_max = 8;
    std::array<connection_id, extra_completion_notices_max> extra_completion_ids_{};
    std::uint32_t extra_completion_first_ = 0;
    std::uint32_t extra_completion_notices_pending_ = 0;
    int resources_error_value_ = 0;
    time_ns last_at_limit_notice_ns_ = std::numeric_limits<time_ns>::min();
    time_ns last_resources_notice_ns_ = std::numeric_limits<time_ns>::min();
};

[[nodiscard]] const char* to_string(accept_phase phase);
[[nodiscard]] const char* to_string(listener_state state);
[[nodiscard]] const char* to_string(reserve_state state);

}  // namespace berth::core
