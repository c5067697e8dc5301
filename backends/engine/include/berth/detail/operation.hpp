// The operations a handler awaits on its connection (reads, writes, flushes): what
// the awaitables of berth/stream.hpp, reader.hpp and writer.hpp have in common.
// They live in the awaiting coroutine's frame, so an operation costs no allocation.
#pragma once

#include <chrono>
#include <coroutine>

namespace berth::engine {
class connection;
}  // namespace berth::engine

namespace berth::detail {

/// No timeout: the operation waits as long as it takes.
inline constexpr std::chrono::nanoseconds no_timeout = std::chrono::nanoseconds::max();

/// One awaited operation; a connection has at most one at a time (a handler is one
/// chain of coroutines). The connection calls `on_progress` after every change that
/// may complete it, and resumes `waiting` once it returns true, or after
/// `on_timeout`.
class operation {
public:
    operation(engine::connection& c, std::chrono::nanoseconds timeout)
        : connection_(&c), timeout_(timeout) {}
    operation(const operation&) = delete;
    operation& operator=(const operation&) = delete;

    /// Whether the operation is complete now (then the connection resumes it).
    virtual bool on_progress() = 0;
    /// Its timeout passed first.
    virtual void on_timeout() { timed_out_ = true; }

    std::coroutine_handle<> waiting;

protected:
    ~operation() = default;

    engine::connection* connection_;
    std::chrono::nanoseconds timeout_;
    bool timed_out_ = false;
};

}  // namespace berth::detail
