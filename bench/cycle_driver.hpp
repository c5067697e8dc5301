// The smallest honest backend for benchmarking the core: it does what a real
// backend does with the core (feed an event, drain actions until idle, execute
// each one) but its "I/O" completes instantly, so what is measured is the core
// plus the unavoidable driver bookkeeping, nothing else.
//
// Like an asynchronous backend, it does not answer start_handler and close_socket
// from inside the drain: their completions (handler_returned, socket_closed) go to
// a FIFO that stands for the event loop's ready queue, delivered one event and one
// drain at a time. accept_batch is executed inside the drain, as the readiness
// backends do (accept(2) until the core has enough, then batch_done).
#pragma once

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <variant>

#include "berth/core/server.hpp"

namespace berth::bench {

/// Largest batch the driver's ready queue is sized for.
inline constexpr std::uint32_t batch_size_max = 64;

class cycle_driver {
public:
    /// `batch_size` is both max_accepts_per_batch and the number of clients the
    /// "kernel" queues before each readability report.
    /// Precondition: 1 <= batch_size <= batch_size_max (else failure() says so).
    explicit cycle_driver(std::uint32_t batch_size)
        : server_(make_options(batch_size)), batch_size_(batch_size) {
        if (batch_size_ < 1 || batch_size_ > batch_size_max) fail("batch size out of range");
        drain();
    }

    /// Takes one batch of connections through their whole life: readable, accept,
    /// batch_done, start_handler, handler_returned, close_socket, socket_closed,
    /// release_connection. Returns false (see failure()) when the core refused an
    /// event or did not do what the cycle needs.
    bool run_batch() {
        kernel_queued_ += batch_size_;
        const std::uint64_t target = cycles_ + batch_size_;
        // Bounded: a batch needs one readable plus two completions per connection.
        for (std::uint32_t step = 0; step < 4 * batch_size_ + 4 && failure_ == nullptr; ++step) {
            if (cycles_ >= target) return true;
            ++now_ns_;  // a real clock moves; the core must not care how little
            if (ready_size_ > 0) {
                const core::event ev = ready_[ready_head_];
                ready_head_ = (ready_head_ + 1) % ready_capacity;
                --ready_size_;
                feed(ev);
            } else if (waiting_readable_) {
                waiting_readable_ = false;
                feed(core::events::listener_readable{});
            } else {
                fail("the core is idle but the batch is not finished");
            }
            drain();
        }
        if (failure_ == nullptr && cycles_ < target) fail("a batch did not finish in its bound");
        return failure_ == nullptr;
    }

    [[nodiscard]] const char* failure() const { return failure_; }
    /// Events handed to the core so far.
    [[nodiscard]] std::uint64_t events() const { return events_; }
    /// Connections released so far: full cycles.
    [[nodiscard]] std::uint64_t cycles() const { return cycles_; }
    [[nodiscard]] const core::server& server() const { return server_; }

private:
    static core::options make_options(std::uint32_t batch_size) {
        core::options opts;
        opts.max_connections = 1024;
        // Clamped so that a bad size fails the benchmark instead of the core's assertion.
        opts.max_accepts_per_batch = std::clamp(batch_size, std::uint32_t{1}, batch_size_max);
        opts.on_handler_error = core::error_policy::ignore;
        return opts;
    }

    void feed(const core::event& ev) {
        ++events_;
        if (server_.handle(ev, now_ns_) != core::event_error::none) {
            fail("the core refused an event");
        }
    }

    void schedule(const core::event& ev) {
        if (ready_size_ == ready_capacity) {
            fail("the ready queue overflowed");
            return;
        }
        ready_[(ready_head_ + ready_size_) % ready_capacity] = ev;
        ++ready_size_;
    }

    void drain() {
        // Bounded: a core that never goes idle must fail the benchmark, not hang it.
        for (std::uint32_t i = 0; i < 8 * batch_size_max; ++i) {
            const core::action a = server_.poll();
            if (std::holds_alternative<core::actions::idle>(a)) return;
            execute(a);
        }
        fail("the core did not become idle");
    }

    void execute(const core::action& a) {
        if (std::get_if<core::actions::wait_readable>(&a) != nullptr) {
            waiting_readable_ = true;
        } else if (std::get_if<core::actions::accept_batch>(&a) != nullptr) {
            accept_until_done();
        } else if (const auto* start = std::get_if<core::actions::start_handler>(&a)) {
            // The handler finishes at once, as far as the core can tell.
            schedule(core::events::handler_returned{start->id, core::outcome::ok});
        } else if (const auto* close = std::get_if<core::actions::close_socket>(&a)) {
            schedule(core::events::socket_closed{close->id});
        } else if (std::get_if<core::actions::release_connection>(&a) != nullptr) {
            ++cycles_;
        } else {
            fail("the core asked for an action a plain cycle never needs");
        }
    }

    void accept_until_done() {
        // Bounded by the batch budget, which the core enforces through wants_more.
        for (std::uint32_t i = 0; i < batch_size_max && server_.accept_batch_wants_more(); ++i) {
            if (kernel_queued_ > 0) {
                --kernel_queued_;
                feed(core::events::socket_accepted{next_socket_++});
            } else {
                feed(core::events::accept_failed{EAGAIN});
            }
        }
        feed(core::events::batch_done{});
    }

    void fail(const char* why) {
        if (failure_ == nullptr) failure_ = why;
    }

    core::server server_;
    std::uint32_t batch_size_;
    core::time_ns now_ns_ = 0;
    // Each connection has at most one completion outstanding at a time.
    static constexpr std::uint32_t ready_capacity = 2 * batch_size_max;
    std::array<core::event, ready_capacity> ready_{};
    std::uint32_t ready_head_ = 0;
    std::uint32_t ready_size_ = 0;
    bool waiting_readable_ = false;
    std::uint32_t kernel_queued_ = 0;
    core::socket_handle next_socket_ = 1;
    std::uint64_t events_ = 0;
    std::uint64_t cycles_ = 0;
    const char* failure_ = nullptr;
};

}  // namespace berth::bench
