// A deliberately simple reference model of one server, written from SEMANTICS.md
// sections 4, 5, 6 and 8 and the action/event contract, to judge the core against.
//
// It keeps plain facts (a map of connections named by their socket handle, a few
// flags and counters) instead of the core's slots and lists, and predicts, for each
// event, whether the core must refuse it and which actions the driver must then see
// before the core goes idle, as an unordered collection. The harness checks the
// orders that matter separately.
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

struct connection {
    handler_phase handler = handler_phase::running;
    socket_phase socket = socket_phase::open;
    std::optional<core::outcome> result;
    bool holds_close = false;  // the first close (with close_existing) waits for this socket
    bool late = false;         // the handler returned after the result was decided
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
    explicit server_model(const core::options& opts);

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
    [[nodiscard]] prediction writer_failed(socket_handle socket);
    [[nodiscard]] prediction peer_gone(socket_handle socket);
    [[nodiscard]] prediction socket_closed(socket_handle socket);
    /// An id the core never issued (a generation from the future): always refused.
    [[nodiscard]] static prediction forged_id();
    [[nodiscard]] prediction listener_closed();
    [[nodiscard]] prediction close(bool close_existing, time_ns drain_deadline_ns);
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

    core::options opts;
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
    void begin_close(bool close_existing, time_ns drain_deadline_ns, std::vector<std::string>& out);
    void drain(std::vector<std::string>& out);
    void close_socket(socket_handle socket, std::vector<std::string>& out);
    void decide(socket_handle socket, core::outcome result, std::vector<std::string>& out);
    void release(socket_handle socket, std::vector<std::string>& out);
    void drop_batch(std::uint64_t& counter, std::vector<std::string>& out);
    [[nodiscard]] prediction finish_batch(std::optional<bool> close_in_first_handler);
    [[nodiscard]] bool notice_due(time_ns last_ns) const;
    [[nodiscard]] std::optional<core::event_error> check_connection(socket_handle socket) const;
};

}  // namespace berth::test::model
