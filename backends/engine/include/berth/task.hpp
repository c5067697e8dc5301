/// @file
/// berth's coroutine type, the same on every backend: a handler written as a
/// `berth::task<>` runs unchanged on Asio, on libuv and in the simulator.
///
///   - Lazily started: creating a task runs nothing; it starts when it is awaited,
///     or when a server (or the simulated world) starts it as a root task.
///   - Symmetric transfer: awaiting a child and the child's end switch coroutines
///     directly, without growing the stack and without a trip through the loop.
///   - No allocation beyond the coroutine frame itself.
///   - An exception that leaves a task is its failure: rethrown in the awaiting
///     parent; for a handler, it is the connection's error (SEMANTICS.md section 5).
///
/// A task knows who runs it (a `task_scheduler`: the server's connection, or the
/// simulated world), and passes that on to the children it awaits, so that
/// `co_await berth::sleep_for(d)` works in any of them.
///
/// Thread safety: a task is resumed only by its scheduler, on its loop's thread.
#pragma once

#include <chrono>
#include <coroutine>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "berth/core/detail/assert.hpp"

namespace berth {

/// A lazily started coroutine yielding `T` (see the file's description).
/// @tparam T the value `co_return` gives and `co_await` yields; void for none.
template <typename T = void>
class task;

namespace detail {

/// Told when a root task (one nobody awaits) reaches its end, from inside its final
/// suspension: the task may be destroyed from within the call, but the observer
/// must not resume it.
class task_observer {
public:
    virtual void on_task_done() noexcept = 0;

protected:
    ~task_observer() = default;
};

/// Resumes suspended tasks later on their loop. Implemented by the engine's
/// connections (one per handler) and by the simulated world (for its clients).
class task_scheduler {
public:
    /// Resumes `h` once `delay` has passed, never inside this call.
    virtual void resume_after(std::coroutine_handle<> h, std::chrono::nanoseconds delay) = 0;

protected:
    ~task_scheduler() = default;
};

struct promise_base {
    std::coroutine_handle<> continuation;
    std::exception_ptr error;
    task_observer* observer = nullptr;
    task_scheduler* scheduler = nullptr;

    struct final_awaiter {
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        // The observer is the last thing that touches the frame: it may destroy it.
        template <typename P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            promise_base& p = h.promise();
            if (p.continuation) return p.continuation;
            if (p.observer != nullptr) p.observer->on_task_done();
            return std::noop_coroutine();
        }
        void await_resume() const noexcept {}
    };

    [[nodiscard]] std::suspend_always initial_suspend() const noexcept { return {}; }
    [[nodiscard]] final_awaiter final_suspend() const noexcept { return {}; }
    void unhandled_exception() noexcept { error = std::current_exception(); }
};

template <typename T>
struct promise : promise_base {
    std::optional<T> value;
    task<T> get_return_object();
    template <typename U>
    void return_value(U&& v) {
        value.emplace(std::forward<U>(v));
    }
};

template <>
struct promise<void> : promise_base {
    task<void> get_return_object();
    void return_void() const noexcept {}
};

}  // namespace detail

/// A task owns its coroutine frame: destroying the task destroys the frame, so a
/// task must outlive its run (an awaiting parent's frame, or the server's
/// connection, holds it). Move-only. Not thread safe: resumed only by its scheduler.
template <typename T>
class [[nodiscard]] task {
public:
    /// What makes a function returning task<T> a coroutine.
    using promise_type = detail::promise<T>;
    /// The handle of the frame the task owns.
    using handle_type = std::coroutine_handle<promise_type>;

    /// An empty task: not valid(), owns no frame.
    task() = default;
    /// Takes ownership of the frame `h` (what the promise does).
    /// @param h a suspended coroutine of this promise type.
    explicit task(handle_type h) : handle_(h) {}
    /// Takes `other`'s frame; `other` is left empty.
    /// @param other the task moved from.
    task(task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
    /// Destroys this task's frame, if any, and takes `other`'s.
    /// @param other the task moved from; left empty.
    /// @return `*this`.
    task& operator=(task&& other) noexcept {
        if (this != &other) {
            reset();
            handle_ = std::exchange(other.handle_, {});
        }
        return *this;
    }
    task(const task&) = delete;
    task& operator=(const task&) = delete;
    /// Destroys the frame it owns, if any, whether suspended or done.
    ~task() { reset(); }

    /// Whether the task owns a frame.
    [[nodiscard]] bool valid() const { return static_cast<bool>(handle_); }
    /// Whether its coroutine has reached its end (returned or failed).
    [[nodiscard]] bool done() const { return handle_ && handle_.done(); }
    /// The exception the task ended with, if any. Precondition: done().
    [[nodiscard]] std::exception_ptr error() const {
        BERTH_ASSERT(done());
        return handle_.promise().error;
    }

    /// Starts a root task: it runs until its first suspension. `observer` hears when
    /// it ends; `scheduler` resumes what it sleeps on. Precondition: valid(), not
    /// done(), never started.
    /// @param observer told, from inside the final suspension, that the task ended;
    ///   may be null. Must outlive the task's run.
    /// @param scheduler resumes sleeps and operations; must outlive the task's run.
    void start(detail::task_observer* observer, detail::task_scheduler* scheduler) {
        BERTH_ASSERT(handle_ && !handle_.done());
        handle_.promise().observer = observer;
        handle_.promise().scheduler = scheduler;
        handle_.resume();
    }

    // Awaiting a task runs it to its end, then yields its value or rethrows.

    /// Always suspends: the child starts in await_suspend.
    [[nodiscard]] bool await_ready() const noexcept { return false; }
    /// Transfers to the child, which inherits the parent's scheduler and resumes the
    /// parent at its end.
    /// @param parent the awaiting coroutine.
    /// @return the child's handle.
    template <typename P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> parent) noexcept {
        handle_.promise().continuation = parent;
        if constexpr (std::is_base_of_v<detail::promise_base, P>) {
            handle_.promise().scheduler = parent.promise().scheduler;
        }
        return handle_;
    }
    /// Rethrows what the child threw, if it failed.
    /// @return the child's value.
    T await_resume() {
        promise_type& p = handle_.promise();
        if (p.error) std::rethrow_exception(p.error);
        if constexpr (!std::is_void_v<T>) return std::move(*p.value);
    }

private:
    void reset() {
        if (handle_) handle_.destroy();
        handle_ = {};
    }

    handle_type handle_;
};

template <typename T>
task<T> detail::promise<T>::get_return_object() {
    return task<T>(std::coroutine_handle<promise<T>>::from_promise(*this));
}

inline task<void> detail::promise<void>::get_return_object() {
    return task<void>(std::coroutine_handle<promise<void>>::from_promise(*this));
}

/// `co_await sleep_for(d)` suspends the calling task for `d` (virtual time in the
/// simulator). Precondition: awaited in a berth::task started by a server or a
/// simulated world, not in a foreign coroutine type.
/// Thread safety: as the task's. A negative duration is zero: the task is resumed
/// on a later turn of the loop, never inside the co_await.
class sleep_for {
public:
    /// @param duration how long to sleep.
    explicit sleep_for(std::chrono::nanoseconds duration) : duration_(duration) {}

    /// Always suspends, even for zero.
    [[nodiscard]] bool await_ready() const noexcept { return false; }
    /// Asks the task's scheduler to resume it once the duration has passed.
    /// @param h the sleeping task.
    template <typename P>
    void await_suspend(std::coroutine_handle<P> h) const {
        static_assert(std::is_base_of_v<detail::promise_base, P>,
                      "berth::sleep_for is awaited in berth::task coroutines only");
        detail::task_scheduler* scheduler = h.promise().scheduler;
        BERTH_ASSERT(scheduler != nullptr);
        scheduler->resume_after(h, duration_ < std::chrono::nanoseconds::zero()
                                       ? std::chrono::nanoseconds::zero()
                                       : duration_);
    }
    /// Nothing to yield.
    void await_resume() const noexcept {}

private:
    std::chrono::nanoseconds duration_;
};

}  // namespace berth
