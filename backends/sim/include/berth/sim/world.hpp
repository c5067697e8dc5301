/// @file
/// The simulated world: one virtual clock, one event queue ordered by (time,
/// sequence number), one simulated kernel, and the servers and client tasks that
/// live in it. Nothing here reads the real clock, starts a thread or iterates an
/// unordered container, so a run is a pure function of its seed and configuration.
#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "berth/address.hpp"
#include "berth/sim/config.hpp"
#include "berth/sim/prng.hpp"
#include "berth/sim/socket.hpp"
#include "berth/sim/task.hpp"
#include "berth/sim/trace.hpp"

namespace berth::sim {

class kernel;

/// A check of the world failed (an invariant, a descriptor misuse, a refused core
/// event). It propagates out of step()/run(); the world must not be run further.
class check_failure : public std::logic_error {
public:
    check_failure(const std::string& message, std::uint64_t step)
        : std::logic_error(message), step_(step) {}
    [[nodiscard]] std::uint64_t step() const { return step_; }

private:
    std::uint64_t step_;
};

/// Something living in the world that checks its own invariants after every step.
class checked {
public:
    virtual void check_after_step() = 0;

protected:
    ~checked() = default;
};

struct world_config {
    kernel_config kernel;
    fault_config faults;
};

struct connect_result {
    std::optional<socket> sock;  ///< set when the connection was established
    int error = 0;               ///< errno when it was not
};

class world final : private berth::detail::task_scheduler {
public:
    /// Steps run() takes at most before it declares the world stuck.
    static constexpr std::uint64_t default_max_steps = 50'000'000;

    explicit world(std::uint64_t seed, const world_config& config = {});
    ~world();
    world(const world&) = delete;
    world& operator=(const world&) = delete;

    [[nodiscard]] std::uint64_t seed() const { return seed_; }
    [[nodiscard]] time_ns now_ns() const { return now_ns_; }
    [[nodiscard]] std::uint64_t steps() const { return steps_; }
    [[nodiscard]] bool idle() const { return live_events_ == 0; }
    [[nodiscard]] kernel& net() { return *kernel_; }
    [[nodiscard]] const kernel& net() const { return *kernel_; }
    [[nodiscard]] sim::trace& tracer() { return trace_; }
    [[nodiscard]] prng& random(stream s) { return streams_[static_cast<std::size_t>(s)]; }

    /// Names one scheduled event, for cancel().
    struct event_ticket {
        std::uint32_t slot = 0;
        std::uint64_t sequence = ~0ULL;
    };
    /// Schedules `fn` at now + delay_ns (after everything already scheduled then).
    event_ticket post(time_ns delay_ns, std::function<void()> fn);
    event_ticket post_at(time_ns at_ns, std::function<void()> fn);
    /// Unschedules the event if it has not run yet: it neither runs nor moves the
    /// clock. Harmless for an event that ran or was cancelled.
    void cancel(const event_ticket& ticket);

    /// Runs the earliest event, then the checks. Returns false when nothing was
    /// scheduled. Throws check_failure, or an error raised by a server (the
    /// `raise` policy, a fatal accept error) once the event's actions are drained.
    bool step();
    /// Steps until nothing is scheduled; fails when `max_steps` pass first.
    void run(std::uint64_t max_steps = default_max_steps);
    /// Steps until `done()` holds or virtual time passes now + timeout_ns (the clock
    /// is then left at that time). Returns done().
    bool run_until(const std::function<bool()>& done, time_ns timeout_ns,
                   std::uint64_t max_steps = default_max_steps);
    /// Runs everything scheduled before now + duration_ns, then sets the clock there.
    void run_for(time_ns duration_ns, std::uint64_t max_steps = default_max_steps);

    /// Runs a client (or any) task in the world. An exception that leaves it
    /// propagates out of run() like a raised error.
    void spawn(task<> t);
    [[nodiscard]] std::size_t tasks_running() const { return tasks_running_; }

    struct sleep_awaitable {
        world* w;
        time_ns duration_ns;
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h) const {
            w->post(duration_ns, [h] { h.resume(); });
        }
        void await_resume() const noexcept {}
    };
    [[nodiscard]] sleep_awaitable sleep_for(time_ns duration_ns) {
        return sleep_awaitable{this, duration_ns};
    }

    struct connect_awaitable {
        world* w;
        std::string address;
        connect_result result;
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h);
        connect_result await_resume() { return std::move(result); }
    };
    /// Connects a client to `address` ("host:port" or a path).
    [[nodiscard]] connect_awaitable connect(std::string address) {
        return connect_awaitable{this, std::move(address), {}};
    }
    /// Connects a client to a server's `listening_on_address()`.
    [[nodiscard]] connect_awaitable connect(const berth::address& a);

    /// Records a failed check; step() throws it once the current event is done.
    void fail(const std::string& message);
    [[nodiscard]] bool failed() const { return failure_.has_value(); }
    /// Queues an error to propagate out of the current step.
    void raise(std::exception_ptr error);
    [[nodiscard]] std::size_t errors_pending() const { return pending_errors_.size(); }

    void add_checked(checked* c) { checked_.push_back(c); }
    /// Objects the world keeps alive until it ends (servers); `teardown` runs first
    /// when it ends, before anything is destroyed.
    void keep(std::shared_ptr<void> object, std::function<void()> teardown = {}) {
        kept_.push_back(std::move(object));
        if (teardown) teardowns_.push_back(std::move(teardown));
    }

private:
    // The heap orders small trivially copyable keys; the callbacks stay put in
    // `actions_`, so sifting never moves a std::function.
    struct event_key {
        time_ns at_ns;
        std::uint64_t sequence;
        std::uint32_t slot;
    };
    struct later {
        bool operator()(const event_key& x, const event_key& y) const {
            return x.at_ns != y.at_ns ? x.at_ns > y.at_ns : x.sequence > y.sequence;
        }
    };
    struct spawned;

    void throw_pending();
    void reap(std::uint32_t index);
    /// Removes cancelled events from the front of the queue.
    void drop_cancelled();
    // Spawned tasks sleep on the world's clock (berth::sleep_for).
    void resume_after(std::coroutine_handle<> h, std::chrono::nanoseconds delay) override;

    std::uint64_t seed_;
    time_ns now_ns_ = 0;
    std::uint64_t sequence_ = 0;
    std::uint64_t steps_ = 0;
    std::vector<event_key> queue_;  ///< a binary heap under `later`
    std::vector<std::function<void()>> actions_;
    std::vector<std::uint64_t> action_sequences_;  ///< the sequence of each slot's event
    std::size_t live_events_ = 0;                  ///< scheduled and not cancelled
    std::vector<std::uint32_t> free_actions_;
    std::vector<prng> streams_;
    sim::trace trace_;
    std::unique_ptr<kernel> kernel_;
    std::vector<checked*> checked_;
    std::vector<std::shared_ptr<void>> kept_;
    std::vector<std::function<void()>> teardowns_;
    std::vector<std::unique_ptr<spawned>> tasks_;
    std::vector<std::uint32_t> free_tasks_;
    std::size_t tasks_running_ = 0;
    std::optional<std::string> failure_;
    std::deque<std::exception_ptr> pending_errors_;
};

}  // namespace berth::sim
