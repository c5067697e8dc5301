/// @file
/// Fuzz your own server: a simulated world built from a fuzzer's bytes, running your
/// handler, with every check the simulator has and a predicate of your own.
///
/// @code{.cpp}
///   extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
///       static const berth::sim::fuzz_target target = [] {
///           berth::sim::fuzz_target t;
///           t.create = my_handler;                     // berth::reader_writer_handler
///           t.check = [](const berth::sim::fuzz_report& r) { return std::string(); };
///           return t;
///       }();
///       berth::sim::run_fuzzed_world_or_abort({data, size}, target);
///       return 0;
///   }
/// @endcode
///
/// The bytes decide (decode_fuzz_plan, with a small deterministic decoder of its own:
/// any input is valid, and the same bytes always make the same world):
///   - the world: its seed, the descriptor limit, the socket buffer size, the listen
///     queue's overflow behaviour, wake-up latency, and the faults with their rates:
///     accept errors of every class, spurious wake-ups, partial writes;
///   - the server: which handler form, where it listens, and, with
///     fuzz_target::fuzz_options, its options within fuzz_limits;
///   - up to clients_max clients: when each connects, how it reads (in chunks of which
///     size, or not at all), and a script: send bytes (plain lines, long lines that
///     make the server's buffers grow, line-protocol commands, lines cut in pieces,
///     raw bytes of the input), pause, stop reading,
///     shut down writing, close, reset; then, at its end, shut down writing and read
///     until the server's end for a while, or close at once;
///   - world events at chosen times: close (with or without the existing
///     connections), close with a drain, drop mode on or off, scripted accept errors,
///     descriptor-exhaustion windows (descriptors held by the rest of the process for
///     a while), faults off and on.
///
/// A run then has an active phase (until every client's script is done) and a
/// liveness phase, as berth-sim's swarm runs: faults off, exhaustion windows over, the
/// server closed; within bounds every handler must end, both completions must fire,
/// every descriptor must be closed and the event queue must drain. It fails on:
///   - a failed world check (sim::check_failure: the server's invariants after every
///     step, a descriptor closed twice or used after close, a handler started after
///     close returned, a core event refused);
///   - a world that does not wind down within its bounds (stuck), or a descriptor
///     still open at the end;
///   - the server's books not adding up (every accepted socket either got a handler
///     or was closed at once; every handler ended exactly once);
///   - an error propagating out of the world that the policy does not explain (an
///     error other than a fatal accept error, with a policy other than `raise`);
///   - the user's check_reply or check.
///
/// Every input runs in bounded virtual time, steps and memory (fuzz_limits).
/// Determinism: a pure function of the bytes and the target.
/// Thread safety: none needed; one world per call, nothing shared between calls.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "berth/core/options.hpp"
#include "berth/handler.hpp"
#include "berth/sim/server.hpp"
#include "berth/sim/trace.hpp"
#include "berth/sim/world.hpp"

namespace berth::sim {

// --- Bounds ----------------------------------------------------------------------------

/// The bounds the bytes choose within. Every input runs in bounded time and memory
/// because of these; raise them for a deeper search at a lower rate.
struct fuzz_limits {
    std::uint32_t clients_max = 8;                 ///< clients per world
    std::uint32_t actions_per_client_max = 12;     ///< script actions per client
    std::uint32_t send_bytes_max = 24 * 1024;      ///< bytes of one send action
    std::uint32_t client_bytes_max = 40 * 1024;    ///< bytes one client sends, all sends together
    std::uint32_t receive_bytes_max = 128 * 1024;  ///< a client stops reading beyond (truncated)
    std::uint32_t world_events_max = 8;            ///< world events per run
    std::uint32_t fd_limit_max = 48;               ///< the simulated descriptor limit: 3 to this
    std::uint32_t max_connections_max = 8;         ///< with fuzz_options
    time_ns client_start_max_ns = 3 * core::ns_per_s;   ///< latest client connect
    time_ns client_pause_max_ns = 2 * core::ns_per_s;   ///< longest pause action
    time_ns client_linger_max_ns = 5 * core::ns_per_s;  ///< longest read after a script
    time_ns event_time_max_ns = 5 * core::ns_per_s;     ///< latest world event
    /// Virtual time for the clients' scripts; they end well within it by themselves.
    time_ns active_phase_max_ns = 900 * core::ns_per_s;
    /// Virtual time to wind down once the server is closed. Virtual time costs
    /// nothing; generous, so that a handler that sleeps a lot is not called stuck.
    time_ns liveness_phase_max_ns = 400LL * 3600 * core::ns_per_s;
    /// Steps of the whole run (both phases); a run that needs more is stuck.
    std::uint64_t steps_max = 2'000'000;
};

// --- The plan the bytes decode to ------------------------------------------------------

/// What one action of a fuzzed client's script does.
enum class fuzz_client_op : std::uint8_t {
    send,            ///< queues `bytes` in the client's send buffer
    pause,           ///< the script waits `ms`
    stop_reading,    ///< the client reads no more (after a read already waiting)
    shutdown_write,  ///< half-close: the server sees the end of the stream
    close,           ///< closes (a reset if unread bytes wait, as Linux does); the script ends
    reset,           ///< closes abortively (SO_LINGER 0); the script ends
};

/// One action of a fuzzed client's script.
struct fuzz_client_action {
    fuzz_client_op op = fuzz_client_op::send;  ///< what it does
    std::uint32_t ms = 0;                      ///< pause
    std::string bytes;                         ///< send
};

/// One fuzzed client: when it connects, how it reads, and its script.
struct fuzz_client_plan {
    time_ns start_ns = 0;  ///< virtual time of its connect
    /// Bytes per read; 0: the client never reads.
    std::uint32_t read_chunk_bytes = 4096;
    /// After the script (unless it closed or reset): shut down writing and read until
    /// the server's end for at most this long, then close. Negative: close at once.
    time_ns linger_ns = -1;
    std::vector<fuzz_client_action> actions;  ///< the script, in order
};

/// What a world event does to the server or the world.
enum class fuzz_world_op : std::uint8_t {
    close,                ///< close(false)
    close_existing,       ///< close(true)
    close_with_drain,     ///< close_with_drain(ms)
    drop,                 ///< set_drop_incoming_connections(on)
    accept_errors,        ///< the next `count` accepts fail with `error_value`
    exhaust_descriptors,  ///< the process holds `count` more descriptors for `ms`
    faults,               ///< the world's faults on or off
};

/// One world event of a plan.
struct fuzz_world_event {
    time_ns at_ns = 0;                        ///< virtual time it runs at
    fuzz_world_op op = fuzz_world_op::close;  ///< what it does
    std::uint32_t ms = 0;                     ///< close_with_drain, exhaust_descriptors
    std::uint32_t count = 0;                  ///< accept_errors, exhaust_descriptors
    int error_value = 0;                      ///< accept_errors
    bool on = false;                          ///< drop, faults
};

/// Which handler form a fuzzed server is created with.
enum class fuzz_form : std::uint8_t { create, create_sock };

/// Everything a fuzzed world does, decoded from the bytes. A plain value.
struct fuzz_plan {
    std::uint64_t seed = 1;              ///< the world's seed
    world_config world;                  ///< the kernel's knobs and the faults
    core::options opts;                  ///< the server's options
    fuzz_form form = fuzz_form::create;  ///< the handler form
    std::string listen = "127.0.0.1:0";  ///< where the server listens
    /// How the liveness phase closes the server.
    bool liveness_close_existing = false;
    std::vector<fuzz_world_event> events;   ///< in decoding order; each runs at its time
    std::vector<fuzz_client_plan> clients;  ///< in connect order
};

// --- What the predicates see -----------------------------------------------------------

/// How a client's stream from the server ended, as the client saw it.
enum class fuzz_client_end : std::uint8_t {
    none,    ///< it did not see the end: it stopped reading, never read, or left first
    eof,     ///< the server's clean end of stream, after everything it sent
    error,   ///< the connection failed (end_error: ECONNRESET, ...)
    closed,  ///< the client closed its end while reading
};

/// What one client did and saw. Valid only during the predicate's call: it points
/// into the run's plan and state.
struct fuzz_client_report {
    std::uint32_t number = 0;                ///< its index in the plan
    const fuzz_client_plan* plan = nullptr;  ///< its plan, in the run's fuzz_plan
    bool connected = false;                  ///< its connect succeeded
    int connect_error = 0;                   ///< ECONNREFUSED, ETIMEDOUT when not connected
    std::string address;  ///< the client's address: the peer its handler was given
    /// Every byte the client's socket took to send, in order (not necessarily
    /// delivered: a reset loses what was in flight).
    std::string sent;
    /// Every byte the client read, in order.
    std::string received;
    bool stopped_reading = false;     ///< a stop_reading action ran
    bool truncated = false;           ///< it stopped at receive_bytes_max
    bool shut_down_write = false;     ///< it half-closed (an action, or at its end)
    bool reset = false;               ///< it reset the connection
    bool closed_early = false;        ///< a close action ended its script
    bool closed_with_unread = false;  ///< it closed with received bytes unread (a reset)
    fuzz_client_end end = fuzz_client_end::none;  ///< how the server's stream ended
    int end_error = 0;                            ///< with `end` error: the errno (ECONNRESET, ...)
    time_ns connected_ns = -1;                    ///< when its connect completed
    time_ns end_ns = -1;                          ///< when it saw the end
    time_ns done_ns = -1;                         ///< when its script was over

    /// Read from its connection to the server's end: read_chunk_bytes > 0, never
    /// stopped, never truncated.
    /// @return whether `received` is all the server sent it.
    [[nodiscard]] bool read_throughout() const;
    /// Read throughout, never reset nor closed early, shut down writing at the end
    /// of its script and saw the server's clean end: it saw all the server sent.
    /// @return whether the client's view is complete.
    [[nodiscard]] bool well_behaved() const;
};

/// One world event that ran.
struct fuzz_event_run {
    const fuzz_world_event* event = nullptr;  ///< in the run's plan
    time_ns at_ns = 0;                        ///< when it ran
};

/// What fuzz_target::check sees at the end of a run. Every member refers to the
/// run's state: valid only during the call.
struct fuzz_report {
    const fuzz_plan& plan;                        ///< the plan that ran
    const world& w;                               ///< the world, wound down
    const server& srv;                            ///< the server, closed
    std::span<const fuzz_client_report> clients;  ///< one per planned client
    /// World events in the order they ran.
    std::span<const fuzz_event_run> events_run;
    /// Errors that propagated out of the world (the `raise` policy, fatal accept
    /// errors): their what().
    std::span<const std::string> raised;
    /// The errors the `call` policy's hook received: "peer: what()".
    std::span<const std::string> handler_errors;
    std::uint64_t notices = 0;  ///< server notices (server_hooks::on_notice) seen

    /// Whether the server may rightly have cut `c`'s connection short: a close of
    /// the existing connections or a drain ran before the client saw its end, or
    /// (create form) the writer's limits are tight: buffer_age_limit under a
    /// minute, final_flush_timeout under 30 s, or buffer_limit_bytes under
    /// `reply_bytes` (what the client should have received).
    /// @param c one of `clients`.
    /// @param reply_bytes what the client should have received.
    /// @return whether a short reply is the server's right.
    [[nodiscard]] bool may_have_cut(const fuzz_client_report& c, std::uint64_t reply_bytes) const;
};

// --- The target ------------------------------------------------------------------------

/// The user's server under test: its handler, options and predicates. Kept by
/// reference for the run; the functions are called on the fuzzing thread, inside
/// the world's steps.
struct fuzz_target {
    /// The handler, in one form or both (the bytes then pick one per input).
    reader_writer_handler create;
    stream_handler create_sock;  ///< the `create_sock` form, as for `create`
    /// The server's options. With fuzz_options the bytes choose max_connections,
    /// max_accepts_per_batch, backlog, drop mode, the error policy, the exhaustion
    /// mode and the writer's limits within `limits`; without, these are used as they
    /// are (an unset error policy becomes `ignore`).
    core::options options;
    bool fuzz_options = true;  ///< let the bytes choose the options (see `options`)
    /// Passed to the server. With the `call` policy and no on_handler_error, the
    /// harness installs one that records the errors (fuzz_report::handler_errors).
    server_hooks hooks;
    fuzz_limits limits;  ///< the bounds of the plans decoded
    /// Called after each read of a client with its report so far (`received` ends
    /// with `just_read`): an empty string when all is well, else what is wrong.
    /// Optional.
    std::function<std::string(const fuzz_client_report&, std::string_view just_read)> check_reply;
    /// Called once at the end, after the liveness phase, when every other check
    /// passed: an empty string when all is well, else what is wrong. Optional.
    std::function<std::string(const fuzz_report&)> check;
};

// --- Running ---------------------------------------------------------------------------

/// Why a fuzzed run failed.
enum class fuzz_failure : std::uint8_t {
    none,              ///< it did not
    world_check,       ///< sim::check_failure: an invariant, a descriptor misuse, ...
    stuck,             ///< did not wind down within the bounds
    descriptor_leak,   ///< a descriptor still open at the end
    books,             ///< the server's statistics do not add up
    unexpected_error,  ///< an error out of the world that the policy does not explain
    reply_check,       ///< fuzz_target::check_reply
    predicate,         ///< fuzz_target::check
};

/// The failure's name ("world check", "stuck").
/// @param f the failure to name.
/// @return a static string, valid for the life of the program.
[[nodiscard]] const char* to_string(fuzz_failure f);

/// What happened in a run, for a corpus's coverage and for statistics.
struct fuzz_counts {
    std::uint64_t steps = 0;               ///< world steps
    std::uint64_t clients = 0;             ///< clients planned
    std::uint64_t connected = 0;           ///< clients whose connect succeeded
    std::uint64_t accepted = 0;            ///< sockets the server accepted
    std::uint64_t handlers_started = 0;    ///< handlers called
    std::uint64_t handler_errors = 0;      ///< connections ending in an error
    std::uint64_t dropped = 0;             ///< drop mode, shed, closed after close
    std::uint64_t accept_errors = 0;       ///< accept errors other than nothing_there
    std::uint64_t emfile = 0;              ///< accepts that found the descriptor table full
    std::uint64_t partial_writes = 0;      ///< injected short writes
    std::uint64_t resets = 0;              ///< connections the kernel reset
    std::uint64_t client_resets = 0;       ///< clients that reset
    std::uint64_t stopped_reading = 0;     ///< clients that stopped reading or never read
    std::uint64_t well_behaved = 0;        ///< clients that saw everything (well_behaved())
    std::uint64_t exhaustion_windows = 0;  ///< descriptor-exhaustion events run
    std::uint64_t raised = 0;              ///< errors out of the world
    std::uint64_t writer_failures = 0;     ///< writers too old, too full, or failed
    std::uint64_t closes_existing = 0;     ///< close(true) or drain events run
    std::uint64_t notices = 0;             ///< server notices
};

/// How a fuzzed run went.
struct fuzz_result {
    fuzz_failure failure = fuzz_failure::none;  ///< none when every check passed
    std::string message;                        ///< what failed, with the virtual time and step
    std::string plan;                           ///< describe() of the plan
    fuzz_counts counts;                         ///< what happened
    std::uint64_t trace_hash = 0;               ///< equal for equal bytes and target
    sim::trace trace;  ///< records only with fuzz_run_options::record_trace

    /// Whether the run passed.
    [[nodiscard]] bool ok() const { return failure == fuzz_failure::none; }
};

/// What a fuzzed run keeps besides its result.
struct fuzz_run_options {
    bool record_trace = false;  ///< keep the trace's records (write_chrome_json, write_text)
};

/// Decodes `bytes` into a plan within `t.limits` (any bytes are a valid plan).
/// Pure.
/// @param bytes the fuzzer's input; not kept.
/// @param t the target: its forms and limits shape the plan.
/// @return the plan.
[[nodiscard]] fuzz_plan decode_fuzz_plan(std::span<const std::uint8_t> bytes, const fuzz_target& t);
/// A readable account of a plan, for a failure report.
/// @param plan the plan.
/// @return the text.
[[nodiscard]] std::string describe(const fuzz_plan& plan);

/// Runs a plan's world with `t`'s handler and checks. Never throws for a failure:
/// that is the result.
/// @param plan the world to build.
/// @param t the target; its functions run inside this call.
/// @param options what to keep.
/// @return the result.
[[nodiscard]] fuzz_result run_fuzz_plan(const fuzz_plan& plan, const fuzz_target& t,
                                        const fuzz_run_options& options = {});
/// decode_fuzz_plan, then run_fuzz_plan.
/// @param bytes the fuzzer's input.
/// @param t the target.
/// @param options what to keep.
/// @return the result.
[[nodiscard]] fuzz_result run_fuzzed_world(std::span<const std::uint8_t> bytes,
                                           const fuzz_target& t,
                                           const fuzz_run_options& options = {});
/// For LLVMFuzzerTestOneInput: run_fuzzed_world, and on a failure print what failed
/// and the plan to stderr and abort (libFuzzer then saves the input as a crash).
/// @param bytes the fuzzer's input.
/// @param t the target.
void run_fuzzed_world_or_abort(std::span<const std::uint8_t> bytes, const fuzz_target& t);

/// Prints a failed result: kind, message, plan.
/// @param os the stream written to.
/// @param r the result.
void print_failure(std::ostream& os, const fuzz_result& r);

}  // namespace berth::sim
