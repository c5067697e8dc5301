/// @file
/// The buffered writer of a `create` handler (SEMANTICS.md section 7), the same on
/// every backend. write() appends and returns at once, as Async's Writer.write does;
/// the bytes go out in the background. `co_await w.flushed()` waits until what was
/// written so far has reached the kernel, the back-pressure a handler that writes a
/// lot needs: the writer holds at most `buffer_limit_bytes`, and a write beyond it
/// fails the connection with a writer_error naming the limit and the bytes held.
///
/// Once the writer stopped (its bytes too old or too many, the peer gone, a failed
/// write) or the connection's result is decided, writes are discarded; a write after
/// the result is a `late_write` notice.
///
/// Ownership and lifetime: the writer belongs to the server's connection. Use it
/// only from the handler, while the handler runs.
/// Thread safety: as the server's; only on the server's loop.
#pragma once

#include <coroutine>
#include <cstdint>
#include <string_view>

#include "berth/detail/operation.hpp"

namespace berth {

namespace detail {

class flush_operation final : public operation {
public:
    explicit flush_operation(engine::connection& c) : operation(c, no_timeout) {}

    [[nodiscard]] bool await_ready() { return on_progress(); }
    void await_suspend(std::coroutine_handle<> h);
    /// True once everything written before the call reached the kernel; false when
    /// the writer stopped first (what it held was discarded).
    [[nodiscard]] bool await_resume() const { return flushed_; }

    bool on_progress() override;

private:
    bool flushed_ = false;
};

}  // namespace detail

/// The buffered writer of a connection. A write beyond the limits does not throw:
/// it fails the connection, with a writer_error the error policy sees.
class writer {
public:
    /// The server makes one per `create` connection; a handler never needs to.
    /// @param c the connection; must outlive the writer.
    explicit writer(engine::connection& c) : connection_(&c) {}

    /// Appends `data` to the buffer; returns at once.
    /// @param data copied before the call returns.
    void write(std::string_view data);
    /// Waits until the kernel has taken everything written so far.
    /// @return an awaitable yielding true once it has, false when the writer stopped
    ///   first; completes without suspending when nothing waits, else the handler is
    ///   resumed later from the server's loop.
    [[nodiscard]] detail::flush_operation flushed();

    /// Bytes written and not yet taken by the kernel.
    [[nodiscard]] std::uint64_t bytes_buffered() const;
    /// Whether write() still takes bytes.
    [[nodiscard]] bool accepts_writes() const;
    /// The most the writer may hold (options::buffer_limit_bytes).
    [[nodiscard]] std::uint64_t buffer_limit_bytes() const;

private:
    engine::connection* connection_;
};

}  // namespace berth
