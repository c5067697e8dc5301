// A deliberately simple reference model of one server, written from SEMANTICS.md
// sections 4 to 8 and the action/event contract, to judge the core against.
//
// It keeps plain facts (a map of connections named by their socket handle, each
// `create` connection's writer as written and flushed bytes with their dates, a few
// flags and counters) instead of the core's slots, lists, rings and heap, and
// predicts, for each event, whether the core must refuse it and which actions the
// driver must then see before the core goes idle, as an unordered collection. The
// harness checks the orders that matter separately.
//
// Connections are named by socket handle: the harness hands the core handles
// 1, 2, 3, ... in accept order, so a handle names one connection for ever.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "berth/core/event_error.hpp"
#include "berth/core/options.hpp"
#include "berth/core/types.hpp"
#include "berth/core/writer_tracker.hpp"

namespace berth::test::model {

using core::socket_handle;
using core::time_ns;

/// The four ways an accept can fail (SEMANTICS.md section 6), restated here.
enum class failure_class : std::uint8_t { nothing_there, per_connection, out_of_resources, fatal };

[[nodiscard]] failure_class classify(int error_value);

/// Error values the generators draw from: every errno of the spec's table, and
/// values the table does not name (which are fatal).
[[nodiscard]] const std::vector<int>& accept_error_values();

/// What the model expects from one event.
struct prediction {
    core::event_error error = core::event_error::none;
    std::vector<std::string> actions;  // action_text.hpp form, in no particular order
    bool fed = true;                   // false when the command hands the core nothing
};

enum class handler_phase : std::uint8_t { running, start_pending, returned, never_started };
enum class socket_phase : std::uint8_t { open, closing, closed };
enum class listener_phase : std::uint8_t { open, close_wanted, closing, closed };
enum class step_phase : std::uint8_t { none, waiting, batch };
/// The shed reserve, as the core's reserve_state names it (SEMANTICS.md section 6).
enum class reserve_phase : std::uint8_t { unused, wanted, requested, held, missing, released };

/// A `create` connection's writer, in plain terms: what was written and flushed,
/// when each stretch of bytes was written, and where it stands.
struct writer_books {
    /// Bytes up to `end` (counted from the first byte ever written) were written by
    /// `at_ns`. A write less than a sixteenth of the age limit after the newest
    /// stretch began joins it, dated at its start: the age errs towards tripping.
    struct stretch {
        std::uint64_t end = 0;
        time_ns at_ns = 0;
    };
    core::writer_status status = core::writer_status::open;
    std::uint64_t written = 0;
    std::uint64_t flushed = 0;
    std::vector<stretch> stretches;
    time_ns final_flush_until_ns = core::no_deadline_ns;
    core::writer_failure failure;  // filled when the writer fails

    [[nodiscard]] std::uint64_t waiting() const { return written - flushed; }
    [[nodiscard]] bool flushing() const {
        return status == core::writer_status::open || status == core::writer_status::final_flush;
    }
};

struct connection {
    handler_phase handler = handler_phase::running;
    socket_phase socket = socket_phase::open;
    std::optional<core::outcome> result;
    bool decided_by_writer = false;
    bool holds_close = false;  // the first close (with close_existing) waits for this socket
    bool late = false;         // the handler returned after the result was decided
    bool late_write_noticed = false;
    writer_books writer;
    /// When the core looks at this writer next: never later than the writer's own
    /// deadline, possibly earlier (a flush moved the writer's on; the core does not
    /// move its timer for that, it looks again when the earlier one comes).
    time_ns look_at_ns = core::no_deadline_ns;
};

/// Plain counters, compared one by one with the core's statistics.
struct counters {
    std::uint64_t accepted = 0;
    std::uint64_t handlers_started = 0;
    std::uint64_t dropped = 0;
    std::uint64_t shed = 0;
    std::uint64_t closed_after_close = 0;
    std::uint64_t handler_ok = 0;
    std::uint64_t handler_errors = 0;
    std::uint64_t late_handler_results = 0;
    std::uint64_t late_writes = 0;
    std::uint64_t extra_completions = 0;
    std::uint64_t writer_failures = 0;
    std::uint64_t nothing_there = 0;
    std::uint64_t per_connection = 0;
    std::uint64_t out_of_resources = 0;
    std::uint64_t fatal = 0;
    std::uint64_t back_off_pauses = 0;
    std::uint64_t times_at_limit = 0;
};

/// Where the harness's clock starts; any value works, a large one keeps the
/// arithmetic of "now minus one" and deadlines away from the edges.
inline constexpr time_ns clock_start_ns = 1'000'000 * core::ns_per_s;
inline constexpr time_ns never_ns = std::numeric_limits<time_ns>::min();
inline constexpr time_ns back_off_first_ns = 5 * core::ns_per_ms;
inline constexpr time_ns back_off_longest_ns = core::ns_per_s;
inline constexpr time_ns notice_every_ns = 60 * core::ns_per_s;

class server_model {
public:
    server_model(const core::options& opts, core::connection_form form);

    /// The actions of the drain that follows creation.
    [[nodiscard]] prediction start();

    [[nodiscard]] prediction listener_readable();
    /// The socket is `next_socket`, consumed only if the core must take it.
    [[nodiscard]] prediction socket_accepted();
    /// A shed batch's accept: the driver closed the socket at once.
    [[nodiscard]] prediction socket_shed();
    [[nodiscard]] prediction accept_failed(int error_value);
    [[nodiscard]] prediction batch_done();
    /// batch_done, and the first handler the batch starts closes the server at once.
    [[nodiscard]] prediction batch_done_then_close(bool close_existing);
    /// `socket` 0 names no connection at all.
    [[nodiscard]] prediction handler_returned(socket_handle socket, core::outcome result);
    [[nodiscard]] prediction bytes_buffered(socket_handle socket, std::uint64_t bytes);
    [[nodiscard]] prediction bytes_flushed(socket_handle socket, std::uint64_t bytes);
    [[nodiscard]] prediction write_failed(socket_handle socket, int error_value);
    /// `socket` 0 stands for an id that names no connection (never issued).
    [[nodiscard]] prediction extra_completion(socket_handle socket);
    [[nodiscard]] prediction socket_closed(socket_handle socket);
    /// An id the core never issued (a generation from the future) in a connection
    /// event: refused as unknown, or first as writerless on a socket-form server.
    [[nodiscard]] prediction forged_id(bool writer_event) const;
    [[nodiscard]] prediction reserve_held(bool held);
    [[nodiscard]] prediction listener_closed();
    [[nodiscard]] prediction close(bool close_existing, time_ns drain_timeout_ns);
    [[nodiscard]] prediction set_drop(bool drop);
    /// The clock moves on; with `fire`, the driver's timer reports it.
    [[nodiscard]] prediction time_passes(time_ns delta_ns, bool fire);
    /// Any event stamped earlier than the last accepted one.
    [[nodiscard]] static prediction event_in_the_past();

    /// The deadline of the timer the driver must keep armed.
    [[nodiscard]] time_ns next_deadline_ns() const;
    [[nodiscard]] bool batch_wants_more() const { return step == step_phase::batch && !ended; }
    [[nodiscard]] std::optional<core::event_error> accept_refusal(bool shedding) const;
    [[nodiscard]] std::uint32_t free_slots() const;
    /// Whether the harness can name this socket's connection by id.
    [[nodiscard]] bool knows(socket_handle socket) const;
    /// Whether connections have writers (the `create` form).
    [[nodiscard]] bool writes() const { return form == core::connection_form::reader_writer; }

    core::options opts;
    core::connection_form form;
    time_ns clock_ns = clock_start_ns;  // the driver's clock
    time_ns server_now_ns = never_ns;   // the time of the last event the core accepted
    bool drop = false;
    bool closed = false;
    listener_phase listener = listener_phase::open;

    step_phase step = step_phase::none;
    std::uint32_t budget = 0;
    bool shed = false;
    std::uint32_t attempts = 0;
    bool ended = false;
    std::vector<socket_handle> batch;

    std::map<socket_handle, connection> live;  // ordered by handle, so by accept order
    std::set<socket_handle> gone;              // connections released or freed
    socket_handle next_socket = 1;

    time_ns back_off_until_ns = never_ns;
    time_ns back_off_next_ns = back_off_first_ns;
    bool shed_next = false;
    reserve_phase reserve = reserve_phase::unused;
    std::optional<int> fatal_owed;

    bool close_fired = false;
    bool finished_fired = false;
    time_ns drain_at_ns = core::no_deadline_ns;
    bool drained = false;

    time_ns last_at_limit_notice_ns = never_ns;
    time_ns last_resources_notice_ns = never_ns;
    counters stats;

private:
    static prediction refuse(core::event_error error);
    /// An accepted event: the core's time moves to the clock, which may pass the
    /// drain deadline.
    void enter(std::vector<std::string>& out);
    /// What follows any event once its own effects are out: the listener's
    /// close, a fatal error's report, completions, the next accept step.
    void settle(std::vector<std::string>& out);
    void begin_close(bool close_existing, time_ns drain_timeout_ns, std::vector<std::string>& out);
    void drain(std::vector<std::string>& out);
    /// The server closes the connection's socket now (if it is still open); its
    /// writer, if still flushing, is discarded.
    void close_socket(socket_handle socket, std::vector<std::string>& out);
    void decide(socket_handle socket, core::outcome result, bool by_writer,
                std::vector<std::string>& out);
    // The writer's books and what the core makes of them (SEMANTICS.md section 7).
    [[nodiscard]] time_ns writer_deadline_ns(const writer_books& w) const;
    void stop_writer(writer_books& w, core::writer_status status) const;
    [[nodiscard]] bool take_write(writer_books& w, std::uint64_t bytes) const;
    void check_writer(writer_books& w) const;
    void judge_writer(socket_handle socket, std::vector<std::string>& out);
    void look_again(connection& c) const;
    void look_at_due_writers(std::vector<std::string>& out);
    [[nodiscard]] std::optional<core::event_error> check_writer_event(socket_handle socket) const;
    [[nodiscard]] bool can_start_step() const;
    void release(socket_handle socket, std::vector<std::string>& out);
    void drop_batch(std::uint64_t& counter, std::vector<std::string>& out);
    [[nodiscard]] prediction finish_batch(std::optional<bool> close_in_first_handler);
    [[nodiscard]] bool notice_due(time_ns last_ns) const;
    [[nodiscard]] std::optional<core::event_error> check_connection(socket_handle socket) const;
};

}  // namespace berth::test::model
