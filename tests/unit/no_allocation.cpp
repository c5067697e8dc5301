// SEMANTICS.md section 10: the core allocates nothing per event in steady state.
// This file replaces the global operator new for the whole test program so it can
// count allocations; only the windows below look at the count.
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <new>

#include <doctest/doctest.h>

#include "berth/core/server.hpp"
#include "berth/core/writer_tracker.hpp"

namespace {

std::atomic<std::uint64_t> allocations{0};
int* volatile kept = nullptr;

}  // namespace

void* operator new(std::size_t size) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

using namespace berth;
namespace ev = berth::core::events;

namespace {

constexpr std::uint32_t connections_max = 64;
constexpr std::uint32_t batch_max = 16;

// Drives one server through whole connection lifetimes without allocating itself:
// fixed arrays, no strings, no assertions inside (they may allocate); a broken
// contract is remembered in `ok` and checked afterwards. With the reader_writer
// form, every handler writes, the kernel flushes part of it, some writes fail, and
// a returned handler's writer flushes the rest (or runs out of time) before its
// socket closes; in shed mode the driver holds and releases the reserve.
class quiet_driver {
public:
    quiet_driver(core::connection_form form, core::exhaustion_mode exhaustion)
        : server_(make_options(exhaustion), form), form_(form) {
        drain();
    }

    // One accept step taking up to `n` sockets (and an errno at the end if not 0),
    // then every started handler writes and returns with alternating results, and
    // every socket close completes.
    void cycle(std::uint32_t n, int trailing_error) {
        if (server_.accept_step() != core::accept_phase::waiting_readable) {
            now_ns_ += core::ns_per_s;  // ride out a back-off
            feed(ev::timer_fired{});
        }
        feed(ev::listener_readable{});
        for (std::uint32_t i = 0; i < n && server_.accept_batch_wants_more(); ++i) {
            if (shed_batch_) {
                feed(ev::socket_shed{});
            } else {
                feed(ev::socket_accepted{next_socket_++});
            }
        }
        if (server_.accept_batch_wants_more() && trailing_error != 0)
            feed(ev::accept_failed{trailing_error});
        feed(ev::batch_done{});
        const std::uint32_t started = started_count_;
        started_count_ = 0;
        std::array<core::connection_id, connections_max> ids = started_;
        for (std::uint32_t i = 0; i < started; ++i) {
            const core::connection_id id = ids[i];
            if (form_ == core::connection_form::reader_writer) write_some(id, i);
            feed(ev::handler_returned{id, i % 2 == 0 ? core::outcome::ok : core::outcome::error});
            if (i % 4 == 1) feed(ev::extra_completion{id});
        }
        if (form_ == core::connection_form::reader_writer) {
            // The final flushes: most writers get their last bytes out, the rest run
            // out of time (a timer), then their sockets close.
            for (std::uint32_t i = 0; i < started; ++i) {
                const core::writer_tracker* w = server_.writer_of(ids[i]);
                if (w != nullptr && w->flushing() && i % 5 != 4) {
                    feed(ev::bytes_flushed{ids[i], w->bytes_waiting()});
                }
            }
            now_ns_ += 2 * final_flush_ns;
            feed(ev::timer_fired{});
        }
        for (int round = 0; round < 4 && closing_count_ > 0; ++round) {
            const std::uint32_t n_closing = closing_count_;
            closing_count_ = 0;
            std::array<core::connection_id, connections_max> closing = closing_;
            for (std::uint32_t i = 0; i < n_closing; ++i)
                feed(ev::socket_closed{closing[i]});
        }
        now_ns_ += core::ns_per_ms;
    }

    void set_drop(bool on) { feed(ev::drop_mode_set{on}); }

    core::server& server() { return server_; }
    bool ok = true;

private:
    static constexpr core::time_ns final_flush_ns = 10 * core::ns_per_ms;

    static core::options make_options(core::exhaustion_mode exhaustion) {
        core::options o;
        o.max_connections = connections_max;
        o.max_accepts_per_batch = batch_max;
        o.on_handler_error = core::error_policy::call;
        o.on_accept_exhaustion = exhaustion;
        o.buffer_age_limit_ns = 50 * core::ns_per_ms;
        o.buffer_limit_bytes = 4000;
        o.final_flush_timeout_ns = final_flush_ns;
        return o;
    }

    // Writes, partial flushes, a write that does not fit, failed writes, a late
    // write, and (every seventh) a writer left to grow too old.
    void write_some(core::connection_id id, std::uint32_t i) {
        feed(ev::bytes_buffered{id, 1000});
        feed(ev::bytes_flushed{id, 600});
        feed(ev::bytes_buffered{id, 500});
        if (i % 7 == 6) {
            now_ns_ += 60 * core::ns_per_ms;  // past the age limit
            feed(ev::timer_fired{});
        }
        switch (i % 6) {
            case 0: feed(ev::write_failed{id, EPIPE}); break;
            case 1: feed(ev::write_failed{id, EIO}); break;
            case 2: feed(ev::bytes_buffered{id, 5000}); break;  // too full
            default: feed(ev::bytes_flushed{id, 100}); break;
        }
        feed(ev::bytes_buffered{id, 10});  // late, when the writer decided the result
    }

    void feed(const core::event& e) {
        if (server_.handle(e, now_ns_) != core::event_error::none) ok = false;
        drain();
    }

    void drain() {
        for (int i = 0; i < 10'000; ++i) {
            const core::action a = server_.poll();
            if (std::holds_alternative<core::actions::idle>(a)) return;
            if (const auto* s = std::get_if<core::actions::start_handler>(&a)) {
                if (started_count_ == connections_max)
                    ok = false;
                else
                    started_[started_count_++] = s->id;
            } else if (const auto* c = std::get_if<core::actions::close_socket>(&a)) {
                if (closing_count_ == connections_max)
                    ok = false;
                else
                    closing_[closing_count_++] = c->id;
            } else if (const auto* b = std::get_if<core::actions::accept_batch>(&a)) {
                shed_batch_ = b->shed;
            } else if (std::holds_alternative<core::actions::hold_reserve>(a)) {
                // Every other hold fails, so that failed holds are retried too.
                if (server_.handle(ev::reserve_held{(holds_++ % 2) == 0}, now_ns_) !=
                    core::event_error::none)
                    ok = false;
            }
        }
        ok = false;
    }

    core::server server_;
    core::connection_form form_;
    core::time_ns now_ns_ = 0;
    core::socket_handle next_socket_ = 1;
    bool shed_batch_ = false;
    std::uint64_t holds_ = 0;
    std::array<core::connection_id, connections_max> started_{};
    std::uint32_t started_count_ = 0;
    std::array<core::connection_id, connections_max> closing_{};
    std::uint32_t closing_count_ = 0;
};

// Warms `d` up to its peak, then runs it for a long while counting allocations.
std::uint64_t allocations_in_steady_state(quiet_driver& d) {
    for (int i = 0; i < 8; ++i)
        d.cycle(batch_max, EAGAIN);
    REQUIRE(d.ok);
    const std::uint64_t before = allocations.load();
    for (int i = 0; i < 200; ++i) {
        d.cycle(1 + static_cast<std::uint32_t>(i) % batch_max, EAGAIN);
        d.cycle(3, ECONNABORTED);
        d.cycle(2, EMFILE);  // back-off or a shed batch, notice
        d.set_drop(i % 5 == 0);
    }
    return allocations.load() - before;
}

}  // namespace

TEST_CASE("The core allocates nothing per event in steady state") {
    quiet_driver d(core::connection_form::socket, core::exhaustion_mode::back_off);
    const std::uint64_t during = allocations_in_steady_state(d);
    CHECK(d.ok);
    CHECK(during == 0);
    CHECK(d.server().stats().accepted > 1000);
    CHECK(d.server().stats().back_off_pauses > 100);
    CHECK(d.server().stats().dropped > 0);
    CHECK(d.server().stats().extra_completions > 0);
    CHECK(d.server().invariant());
}

TEST_CASE(
    "A reader_writer server cycling writes, flushes, failures, final flushes and the shed "
    "reserve allocates nothing in steady state") {
    quiet_driver d(core::connection_form::reader_writer, core::exhaustion_mode::shed);
    const std::uint64_t during = allocations_in_steady_state(d);
    CHECK(d.ok);
    CHECK(during == 0);
    const core::statistics& st = d.server().stats();
    CHECK(st.accepted > 1000);
    CHECK(st.shed > 0);
    CHECK(st.writer_failures > 100);
    CHECK(st.late_writes > 100);
    CHECK(st.extra_completions > 0);
    CHECK(st.handler_ok > 100);
    CHECK(st.handler_errors > 100);
    CHECK(d.server().invariant());
}

TEST_CASE("The writer's bookkeeping allocates nothing") {
    const std::uint64_t before = allocations.load();
    core::writer_tracker w(10 * core::ns_per_s, 1 << 20, 30 * core::ns_per_s);
    std::uint64_t waiting = 0;
    for (core::time_ns t = 0; t < 100 * core::ns_per_s; t += 7 * core::ns_per_ms) {
        static_cast<void>(w.on_buffered(t, 100));
        w.on_flushed(t, w.bytes_waiting() / 2);
        static_cast<void>(w.check(t));
        waiting += w.bytes_waiting();
    }
    w.begin_close(100 * core::ns_per_s);
    static_cast<void>(w.check(200 * core::ns_per_s));
    w.reset();
    static_cast<void>(w.on_buffered(300 * core::ns_per_s, 1 << 21));  // too full
    w.discard();
    const std::uint64_t during = allocations.load() - before;
    CHECK(during == 0);
    CHECK(waiting > 0);
}

TEST_CASE("The allocation counter of this file sees allocations") {
    const std::uint64_t before = allocations.load();
    kept = new int(7);  // through a volatile pointer, so the compiler cannot elide it
    const std::uint64_t during = allocations.load() - before;
    delete kept;
    CHECK(during == 1);
}
