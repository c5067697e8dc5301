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

[[nodiscard]] const char* to_string(client_action a);

struct client_step {
    client_action action = client_action::echo;
    std::uint32_t amount = 0;  ///< ms for sleep/pause/flood hold, lines for flood
};

struct client_plan {
    time_ns start_ns = 0;
    bool read_replies = true;
    time_ns read_timeout_ns = 0;
    std::vector<client_step> steps;
};

struct swarm_plan {
    world_config world;
    core::options opts;
    bool stream_form = false;
    bool call_hook_throws = false;
    time_ns close_at_ns = -1;  ///< -1: not before the liveness phase
    bool close_existing = false;
    bool liveness_close_existing = false;
    std::vector<time_ns> drop_toggles_ns;
    std::vector<client_plan> clients;
};

/// Everything chosen from the seed alone, with the project's own PRNG.
[[nodiscard]] swarm_plan plan_for_seed(std::uint64_t seed);
/// A one-paragraph description of a plan, for a failure report.
[[nodiscard]] std::string describe(const swarm_plan& plan);

struct run_stats {
    std::uint64_t steps = 0;
    std::uint64_t events = 0;  ///< events handled by the core
    std::uint64_t accepted = 0;
    std::uint64_t dropped = 0;  ///< drop mode, shedding, closed after close
    std::uint64_t handler_ok = 0;
    std::uint64_t handler_errors = 0;
    std::array<std::uint64_t, core::accept_error_class_count> accept_errors{};
    std::uint64_t back_off_pauses = 0;
    std::uint64_t closes = 0;
    std::uint64_t raised = 0;  ///< errors propagated out of the world's run
    std::uint64_t clients = 0;
    std::uint64_t connects_failed = 0;

    void add(const run_stats& o);
};

struct run_options {
    bool record = false;       ///< keep the trace's records (text, Chrome JSON)
    bool step_hashes = false;  ///< keep the hash after every step
};

struct run_result {
    bool ok = true;
    std::string failure;  ///< what failed, when !ok
    std::uint64_t trace_hash = 0;
    run_stats stats;
    sim::trace trace;  ///< records / step hashes only when asked for
};

/// Runs one seed's world to its end. Never throws for a failure of the checks:
/// that is reported in the result.
[[nodiscard]] run_result run_swarm(std::uint64_t seed, const run_options& options = {});

// The clients of a swarm run (swarm_clients.cpp).
struct client_tally {
    std::uint64_t finished = 0;
    std::uint64_t connects_failed = 0;
};
task<> run_client(world& w, std::string address, client_plan plan, std::uint32_t number,
                  client_tally& tally);

}  // namespace berth::sim
