/// @file
/// The I/O-free state machine of one TCP server: accept loop, connection slots,
/// error policy decisions, accept error back-off, close and its completions.
///
/// The driver (a backend) feeds it events with the current time and pulls actions
/// until it is idle. The full contract is in docs/architecture.md; in short:
///
///   - Call `handle(event, now_ns)` for everything the driver observes. A refused
///     event returns an `event_error` and changes nothing.
///   - After every `handle`, call `poll()` until it returns `actions::idle`,
///     executing each action before pulling the next. Polling when nothing is
///     pending is harmless: it returns `idle` again.
///   - Keep one timer armed at `idle::deadline_ns`; report `timer_fired` when it goes.
///
/// Thread safety: none. One server belongs to one driver; calls must not overlap.
/// The core never calls out, so a driver may call `handle` while executing an action.
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
    idle,              ///< no step outstanding
    waiting_readable,  ///< wait_readable pulled; listener_readable not yet reported
    readable,          ///< listener_readable reported; accept_batch not yet pulled
    batching,          ///< accept_batch pulled; batch_done not yet reported
};

/// Where the listening socket stands, from the core's point of view.
enum class listener_state : std::uint8_t {
    open,           ///< no close requested
    close_pending,  ///< close requested; close_listener not yet pulled
    closing,        ///< close_listener pulled; listener_closed not yet reported
    closed,         ///< listener_closed reported
};

/// The descriptor a shedding server keeps in reserve (SEMANTICS.md section 6).
enum class reserve_state : std::uint8_t {
    unused,     ///< back-off mode, or the listener is closed
    wanted,     ///< hold_reserve is due
    requested,  ///< hold_reserve pulled; reserve_held not yet reported
    held,       ///< reserve_held{true} reported
    missing,    ///< the last hold failed; asked again before the next accept step
    released,   ///< released for the shed batch in progress
};

/// Back-off after running out of descriptors or memory (SEMANTICS.md section 6):
/// the first pause.
inline constexpr time_ns back_off_initial_ns = 5 * ns_per_ms;
/// The longest pause: each one doubles up to this.
inline constexpr time_ns back_off_max_ns = 1 * ns_per_s;
/// Rate limit of the at-limit and out-of-resources notices.
inline constexpr time_ns notice_interval_ns = 60 * ns_per_s;

/// The core of one server: everything it decides, none of its I/O. A plain object
/// its driver owns (the engine); it holds socket handles but never touches them.
/// Not thread safe: one driver calls it, from one thread at a time. No call
/// throws, apart from std::bad_alloc when the slots grow.
class server {
public:
    /// Precondition: `validate(opts)` found nothing wrong (asserted). Allocates the
    /// batch buffer and a first block of slots (with `reader_writer`, a writer's
    /// books for each); nothing after that until the number of live connections
    /// exceeds its previous peak.
    /// @param opts copied; the server keeps its own.
    /// @param form which handler form the server's connections have: with
    ///   `reader_writer` the core keeps each connection's writer's books.
    explicit server(const options& opts, connection_form form = connection_form::socket);

    /// Feeds one event. `now_ns` must not be earlier than the previous event's.
    /// Never calls out, so it may be called while executing an action.
    /// @param ev what the driver observed.
    /// @param now_ns the driver's monotonic clock now.
    /// @return event_error::none, or the rule the event broke; then nothing changed.
    [[nodiscard]] event_error handle(const event& ev, time_ns now_ns);

    /// The next action, in the order docs/architecture.md gives.
    /// @return the action to execute before the next poll(); `actions::idle` when
    ///   nothing is pending, as often as it is called.
    [[nodiscard]] action poll();

    /// Inside an accept batch: whether the driver should call accept(2) again.
    /// False once the batch has its budget of attempts or an error ended it.
    /// @return false outside a batch.
    [[nodiscard]] bool accept_batch_wants_more() const;

    /// Connections admitted and not yet released: each holds a slot.
    [[nodiscard]] std::uint32_t num_connections() const { return num_connections_; }
    /// True from the close_requested event on.
    [[nodiscard]] bool is_closed() const { return closed_; }
    /// Drop mode, as the options and the last drop_mode_set left it.
    [[nodiscard]] bool is_dropping_incoming_connections() const { return drop_mode_; }
    /// The accept step outstanding, if any.
    [[nodiscard]] accept_phase accept_step() const { return phase_; }
    /// Where the listening socket stands.
    [[nodiscard]] listener_state listener() const { return listener_; }
    /// Whether complete_close has been handed out.
    [[nodiscard]] bool close_completed() const { return close_completed_; }
    /// Whether complete_handlers_finished has been handed out.
    [[nodiscard]] bool handlers_finished() const { return handlers_finished_; }
    /// The time of the last event handled; the lowest time_ns before the first.
    [[nodiscard]] time_ns now_ns() const { return now_ns_; }
    /// The time before which no accept step starts; in the past when not backing off.
    [[nodiscard]] time_ns back_off_until_ns() const { return back_off_until_ns_; }
    /// The options given at creation; valid for the server's life.
    [[nodiscard]] const options& opts() const { return opts_; }
    /// The counters; the reference is valid for the server's life.
    [[nodiscard]] const statistics& stats() const { return stats_; }
    /// The handler form given at creation.
    [[nodiscard]] connection_form form() const { return form_; }
    /// Where the shed mode's reserved descriptor stands.
    [[nodiscard]] reserve_state reserve() const { return reserve_; }

    /// Whether `id` names a live connection (admitted and not yet released).
    /// @param id any id, even one never issued.
    /// @return false for stale and unknown ids.
    [[nodiscard]] bool is_live(connection_id id) const;

    /// The books of a live `reader_writer` connection's writer; nullptr for the
    /// socket form or an id that names no live connection. After a
    /// `bytes_buffered`, `accepts_writes()` says whether the bytes were taken.
    /// @param id the connection.
    /// @return the books, owned by the server; valid until its next handle() or poll().
    [[nodiscard]] const writer_tracker* writer_of(connection_id id) const;

    /// Calls `f(connection_id, socket_handle)` for every live connection, in slot order.
    /// @param f called synchronously; it must not call handle() on this server.
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
    /// @return nullptr, or a static string naming the broken invariant.
    [[nodiscard]] const char* check_invariant() const;
    /// Whether check_invariant() finds nothing wrong.
    [[nodiscard]] bool invariant() const { return check_invariant() == nullptr; }

    /// The description of SEMANTICS.md section 9, as text and as JSON.
    /// @param os the stream written to.
    /// @param s the server described.
    /// @return `os`.
    friend std::ostream& operator<<(std::ostream& os, const server& s);
    /// The description as one JSON object.
    /// @param os the stream written to.
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
    std::vector<socket_handle> batch_sockets_;  ///< capacity fixed at max_accepts_per_batch
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
    std::uint32_t held_by_close_ = 0;  ///< sockets holding back the close completion
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

/// The enumerator's name ("batching"); "unknown" for a value out of range.
/// @param phase the phase to name.
/// @return a static string, valid for the life of the program.
[[nodiscard]] const char* to_string(accept_phase phase);
/// The enumerator's name ("closing"); "unknown" for a value out of range.
/// @param state the state to name.
/// @return a static string, valid for the life of the program.
[[nodiscard]] const char* to_string(listener_state state);
/// The enumerator's name ("held"); "unknown" for a value out of range.
/// @param state the state to name.
/// @return a static string, valid for the life of the program.
[[nodiscard]] const char* to_string(reserve_state state);

}  // namespace berth::core
