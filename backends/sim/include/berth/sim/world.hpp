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
    /// @param message what failed: what() returns it.
    /// @param step the step it failed at.
    check_failure(const std::string& message, std::uint64_t step)
        : std::logic_error(message), step_(step) {}
    /// The step it failed at (world::steps() then).
    [[nodiscard]] std::uint64_t step() const { return step_; }

private:
    std::uint64_t step_;
};

/// Something living in the world that checks its own invariants after every step.
class checked {
public:
    /// Runs after each step; reports a broken invariant with world::fail.
    virtual void check_after_step() = 0;

protected:
    ~checked() = default;
};

/// How a world's kernel behaves and which faults it injects.
struct world_config {
    kernel_config kernel;  ///< the simulated kernel
    fault_config faults;   ///< injected faults; off by default
};

/// What connect yields.
struct connect_result {
    std::optional<socket> sock;  ///< set when the connection was established
    int error = 0;               ///< errno when it was not
};

/// Owns everything simulated: the kernel, the servers (keep), the spawned tasks and
/// the scheduled events. Single-threaded: every call on the thread that steps it.
/// Events run only inside step() (and run*), never inside the call that posts them.
class world final : private berth::detail::task_scheduler {
public:
    /// Steps run() takes at most before it declares the world stuck.
    static constexpr std::uint64_t default_max_steps = 50'000'000;

    /// A world at virtual time 0 with nothing scheduled.
    /// @param seed the one number a run replays from.
    /// @param config copied.
    explicit world(std::uint64_t seed, const world_config& config = {});
    /// Runs the teardowns, drops pending events unrun, then destroys the tasks and
    /// the kept servers, so that no suspended frame outlives what it points into.
    ~world();
    world(const world&) = delete;
    world& operator=(const world&) = delete;

    /// The seed given at construction.
    [[nodiscard]] std::uint64_t seed() const { return seed_; }
    /// Virtual time now.
    [[nodiscard]] time_ns now_ns() const { return now_ns_; }
    /// Steps run so far.
    [[nodiscard]] std::uint64_t steps() const { return steps_; }
    /// Whether nothing is scheduled.
    [[nodiscard]] bool idle() const { return live_events_ == 0; }
    /// The simulated kernel; valid for the world's life.
    [[nodiscard]] kernel& net() { return *kernel_; }
    /// The simulated kernel; valid for the world's life.
    [[nodiscard]] const kernel& net() const { return *kernel_; }
    /// The run's trace.
    [[nodiscard]] sim::trace& tracer() { return trace_; }
    /// One random stream of the world's seed.
    /// @param s which stream.
    /// @return its generator; valid for the world's life.
    [[nodiscard]] prng& random(stream s) { return streams_[static_cast<std::size_t>(s)]; }

    /// Names one scheduled event, for cancel().
    struct event_ticket {
        std::uint32_t slot = 0;          ///< where the event's callback is kept
        std::uint64_t sequence = ~0ULL;  ///< which event of that slot; the default names none
    };
    /// Schedules `fn` at now + delay_ns (after everything already scheduled then).
    /// @param delay_ns at least 0 (asserted).
    /// @param fn kept by the world until it runs or is cancelled.
    /// @return the ticket for cancel().
    event_ticket post(time_ns delay_ns, std::function<void()> fn);
    /// post at an absolute virtual time.
    /// @param at_ns at least now_ns() (asserted).
    /// @param fn as for post.
    /// @return the ticket for cancel().
    event_ticket post_at(time_ns at_ns, std::function<void()> fn);
    /// Unschedules the event if it has not run yet: it neither runs nor moves the
    /// clock. Harmless for an event that ran or was cancelled.
    /// @param ticket from post or post_at.
    void cancel(const event_ticket& ticket);

    /// Runs the earliest event, then the checks. Returns false when nothing was
    /// scheduled. Throws check_failure, or an error raised by a server (the
    /// `raise` policy, a fatal accept error) once the event's actions are drained.
    /// @return whether an event ran.
    bool step();
    /// Steps until nothing is scheduled; fails when `max_steps` pass first.
    /// @param max_steps the bound.
    /// @throws check_failure "the world did not become idle within N steps", or as
    ///   step().
    void run(std::uint64_t max_steps = default_max_steps);
    /// Steps until `done()` holds or virtual time passes now + timeout_ns (the clock
    /// is then left at that time). Returns done().
    /// @param done checked before each step, on this thread.
    /// @param timeout_ns virtual time.
    /// @param max_steps the bound.
    /// @return done() at the end.
    /// @throws check_failure "run_until: no end within N steps", or as step().
    bool run_until(const std::function<bool()>& done, time_ns timeout_ns,
                   std::uint64_t max_steps = default_max_steps);
    /// Runs everything scheduled before now + duration_ns, then sets the clock there.
    /// @param duration_ns virtual time.
    /// @param max_steps the bound.
    /// @throws check_failure as run_until.
    void run_for(time_ns duration_ns, std::uint64_t max_steps = default_max_steps);

    /// Runs a client (or any) task in the world. An exception that leaves it
    /// propagates out of run() like a raised error.
    /// @param t owned by the world from now on; it starts inside this call and runs
    ///   to its first suspension, and its frame goes at its end (a later event).
    void spawn(task<> t);
    /// Spawned tasks that have not ended.
    [[nodiscard]] std::size_t tasks_running() const { return tasks_running_; }

    /// The awaitable of sleep_for.
    struct sleep_awaitable {
        world* w;             ///< the world
        time_ns duration_ns;  ///< virtual time
        /// Always suspends.
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        /// Resumes the task as a world event once the duration has passed.
        /// @param h the sleeping task.
        void await_suspend(std::coroutine_handle<> h) const {
            w->post(duration_ns, [h] { h.resume(); });
        }
        /// Nothing to yield.
        void await_resume() const noexcept {}
    };
    /// Sleeps in virtual time (berth::sleep_for works in spawned tasks too).
    /// @param duration_ns at least 0.
    /// @return the awaitable.
    [[nodiscard]] sleep_awaitable sleep_for(time_ns duration_ns) {
        return sleep_awaitable{this, duration_ns};
    }

    /// The awaitable of connect.
    struct connect_awaitable {
        world* w;               ///< the world
        std::string address;    ///< where to
        connect_result result;  ///< filled at completion
        /// Always suspends: a connect completes as a world event.
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        /// Starts the connect.
        /// @param h the connecting task.
        void await_suspend(std::coroutine_handle<> h);
        /// @return the result, moved out.
        connect_result await_resume() { return std::move(result); }
    };
    /// Connects a client to `address` ("host:port" or a path).
    /// @param address as kernel::listen takes it.
    /// @return the awaitable, yielding a connect_result (ECONNREFUSED, ETIMEDOUT).
    [[nodiscard]] connect_awaitable connect(std::string address) {
        return connect_awaitable{this, std::move(address), {}};
    }
    /// Connects a client to a server's `listening_on_address()`.
    /// @param a an IP address with port, a Unix path or an abstract name.
    /// @return the awaitable, as connect(std::string).
    [[nodiscard]] connect_awaitable connect(const berth::address& a);

    /// Records a failed check; step() throws it once the current event is done.
    /// @param message the first failure is kept; later ones are dropped.
    void fail(const std::string& message);
    /// Whether a check failed.
    [[nodiscard]] bool failed() const { return failure_.has_value(); }
    /// Queues an error to propagate out of the current step.
    /// @param error not null.
    void raise(std::exception_ptr error);
    /// Errors raised and not yet thrown.
    [[nodiscard]] std::size_t errors_pending() const { return pending_errors_.size(); }

    /// Checks `c` after every step.
    /// @param c must outlive the world (or be kept by it).
    void add_checked(checked* c) { checked_.push_back(c); }
    /// Objects the world keeps alive until it ends (servers); `teardown` runs first
    /// when it ends, before anything is destroyed.
    /// @param object kept until the world is destroyed.
    /// @param teardown run by the destructor, first; may be empty.
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
