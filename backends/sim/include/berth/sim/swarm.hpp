/// @file
/// Swarm testing: one seed picks the fault knobs, the server's options, the clients
/// and what they do, and when close is called; the run then checks everything the
/// world checks after every step, and ends with a liveness phase (faults off, the
/// server closed, everything must wind down within a bound).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "berth/core/accept_error.hpp"
#include "berth/core/options.hpp"
#include "berth/sim/trace.hpp"
#include "berth/sim/world.hpp"

namespace berth::sim {

/// What one step of a swarm client does, in the line protocol (berth/line_command.hpp).
enum class client_action : std::uint8_t {
    echo,   ///< sends a line, may read the echo
    sleep,  ///< asks the handler to pause
    pause,  ///< the client itself waits
    quit,   ///< asks the handler to finish; the client then closes
    fail,   ///< asks the handler to fail
    flood,  ///< sends lines whose echoes it never reads, then holds the connection
    close,  ///< closes early
    reset,  ///< resets the connection
};

/// The enumerator's name ("flood").
/// @param a the action to name.
/// @return a static string, valid for the life of the program.
[[nodiscard]] const char* to_string(client_action a);

/// One step of a client's script.
struct client_step {
    client_action action = client_action::echo;  ///< what it does
    std::uint32_t amount = 0;                    ///< ms for sleep/pause/flood hold, lines for flood
};

/// One client of a swarm run: when it connects and its script.
struct client_plan {
    time_ns start_ns = 0;            ///< virtual time of its connect
    bool read_replies = true;        ///< whether it reads the echoes
    time_ns read_timeout_ns = 0;     ///< how long each read waits for a reply
    std::vector<client_step> steps;  ///< run in order, then the client closes
};

/// Everything a swarm run does, chosen from its seed.
struct swarm_plan {
    world_config world;  ///< the kernel's knobs and the faults
    core::options opts;  ///< the server's options
    /// The handler form: true serves with `create`, false with `create_sock` (as
    /// describe() prints it).
    bool stream_form = false;
    bool call_hook_throws = false;         ///< the `call` hook throws, every third call
    time_ns close_at_ns = -1;              ///< -1: not before the liveness phase
    bool close_existing = false;           ///< that close closes the existing connections
    bool liveness_close_existing = false;  ///< so does the liveness phase's close
    std::vector<time_ns> drop_toggles_ns;  ///< when drop mode flips
    std::vector<client_plan> clients;      ///< the clients, in spawn order
};

/// Everything chosen from the seed alone, with the project's own PRNG.
/// @param seed any value.
/// @return the plan; equal seeds give equal plans on every compiler.
[[nodiscard]] swarm_plan plan_for_seed(std::uint64_t seed);
/// A one-paragraph description of a plan, for a failure report.
/// @param plan the plan.
/// @return the text.
[[nodiscard]] std::string describe(const swarm_plan& plan);

/// What one or more swarm runs did, in numbers.
struct run_stats {
    std::uint64_t steps = 0;           ///< world steps
    std::uint64_t events = 0;          ///< events handled by the core
    std::uint64_t accepted = 0;        ///< sockets accepted
    std::uint64_t dropped = 0;         ///< drop mode, shedding, closed after close
    std::uint64_t handler_ok = 0;      ///< connections ending ok
    std::uint64_t handler_errors = 0;  ///< connections ending in an error
    /// Accept errors by core::accept_error_class.
    std::array<std::uint64_t, core::accept_error_class_count> accept_errors{};
    std::uint64_t back_off_pauses = 0;  ///< accepting paused for resources
    std::uint64_t closes = 0;           ///< close calls
    std::uint64_t raised = 0;           ///< errors propagated out of the world's run
    std::uint64_t clients = 0;          ///< clients spawned
    std::uint64_t connects_failed = 0;  ///< clients whose connect failed

    /// Adds `o`'s counts to these.
    /// @param o another run's.
    void add(const run_stats& o);
};

/// What a swarm run keeps besides its result.
struct run_options {
    bool record = false;       ///< keep the trace's records (text, Chrome JSON)
    bool step_hashes = false;  ///< keep the hash after every step
};

/// How a swarm run went.
struct run_result {
    bool ok = true;                ///< every check held and everything wound down
    std::string failure;           ///< what failed, when !ok
    std::uint64_t trace_hash = 0;  ///< the trace's hash: equal for equal seeds
    run_stats stats;               ///< the run's numbers
    sim::trace trace;              ///< records / step hashes only when asked for
};

/// Runs one seed's world to its end. Never throws for a failure of the checks:
/// that is reported in the result. Runs on the calling thread, in a world of its
/// own.
/// @param seed the run's one seed.
/// @param options what to keep.
/// @return the result.
[[nodiscard]] run_result run_swarm(std::uint64_t seed, const run_options& options = {});

// The clients of a swarm run (swarm_clients.cpp).
/// The clients' shared counters.
struct client_tally {
    std::uint64_t finished = 0;         ///< clients whose script is over
    std::uint64_t connects_failed = 0;  ///< clients that could not connect
};
/// One swarm client: connects, runs its plan's steps, and counts itself in `tally`.
/// @param w the world it runs in.
/// @param address the server's listening address.
/// @param plan its script.
/// @param number its index, for the trace.
/// @param tally must outlive the task.
/// @return the task, to spawn in `w`.
task<> run_client(world& w, std::string address, client_plan plan, std::uint32_t number,
                  client_tally& tally);

}  // namespace berth::sim
