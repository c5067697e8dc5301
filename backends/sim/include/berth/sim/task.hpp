// The coroutine type of simulated handlers and clients. A task starts when it is
// awaited (or handed to the world or a server), runs until it suspends on a
// simulated operation, and is resumed by the world's event loop: there are no
// threads, so a run is a pure function of its seed.
//
// An exception that leaves a task is its failure: for a handler it is the
// connection's error (SEMANTICS.md section 5), for an awaited child it is
// rethrown in the parent.
#pragma once

#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

#include "berth/core/detail/assert.hpp"

namespace berth::sim {

template <typename T = void>
class task;

namespace detail {

/// Told when a root task (one nobody awaits) reaches its end. It must not destroy
/// the task from inside the call: it is made from the task's final suspension.
class task_observer {
public:
    virtual void on_task_done() noexcept = 0;

protected:
    ~task_observer() = default;
};

struct promise_base {
    std::coroutine_handle<> continuation;
    std::exception_ptr error;
    task_observer* observer = nullptr;

    struct final_awaiter {
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        template <typename P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            promise_base& p = h.promise();
            if (p.continuation) return p.continuation;
            if (p.observer != nullptr) p.observer->on_task_done();
            return std::noop_coroutine();
        }
        void await_resume() const noexcept {}
    };

    std::suspend_always initial_suspend() const noexcept { return {}; }
    final_awaiter final_suspend() const noexcept { return {}; }
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

template <typename T>
class [[nodiscard]] task {
public:
    using promise_type = detail::promise<T>;
    using handle_type = std::coroutine_handle<promise_type>;

    task() = default;
    explicit task(handle_type h) : handle_(h) {}
    task(task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
    task& operator=(task&& other) noexcept {
        if (this != &other) {
            reset();
            handle_ = std::exchange(other.handle_, {});
        }
        return *this;
    }
    task(const task&) = delete;
    task& operator=(const task&) = delete;
    ~task() { reset(); }

    [[nodiscard]] bool valid() const { return static_cast<bool>(handle_); }
    [[nodiscard]] bool done() const { return handle_ && handle_.done(); }
    /// The exception the task ended with, if any. Precondition: done().
    [[nodiscard]] std::exception_ptr error() const {
        BERTH_ASSERT(done());
        return handle_.promise().error;
    }

    /// Starts a root task: it runs until its first suspension; `observer` hears
    /// when it ends.
    void start(detail::task_observer* observer) {
        BERTH_ASSERT(handle_ && !handle_.done());
        handle_.promise().observer = observer;
        handle_.resume();
    }

    // Awaiting a task runs it to its end and yields its value or rethrows.
    [[nodiscard]] bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) noexcept {
        handle_.promise().continuation = parent;
        return handle_;
    }
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

}  // namespace berth::sim
