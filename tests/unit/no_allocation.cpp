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
// contract is remembered in `ok` and checked afterwards.
class quiet_driver {
public:
    quiet_driver() : server_(make_options()) { drain(); }

    // One accept step taking up to `n` sockets (and an errno at the end if not 0),
    // then every started handler returns with alternating results, and every
    // socket close completes.
    void cycle(std::uint32_t n, int trailing_error) {
        if (server_.accept_step() != core::accept_phase::waiting_readable) {
            now_ns_ += core::ns_per_s;  // ride out a back-off
            feed(ev::timer_fired{});
        }
        feed(ev::listener_readable{});
        for (std::uint32_t i = 0; i < n && server_.accept_batch_wants_more(); ++i)
            feed(ev::socket_accepted{next_socket_++});
        if (server_.accept_batch_wants_more() && trailing_error != 0)
            feed(ev::accept_failed{trailing_error});
        feed(ev::batch_done{});
        for (std::uint32_t i = 0; i < started_count_; ++i) {
            const core::connection_id id = started_[i];
            if (i % 3 == 0) feed(ev::writer_failed{id});
            if (i % 3 == 1) feed(ev::peer_gone{id});
            feed(ev::handler_returned{id, i % 2 == 0 ? core::outcome::ok : core::outcome::error});
        }
        started_count_ = 0;
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
    static core::options make_options() {
        core::options o;
        o.max_connections = connections_max;
        o.max_accepts_per_batch = batch_max;
        o.on_handler_error = core::error_policy::call;
        return o;
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
            }
        }
        ok = false;
    }

    core::server server_;
    core::time_ns now_ns_ = 0;
    core::socket_handle next_socket_ = 1;
    std::array<core::connection_id, connections_max> started_{};
    std::uint32_t started_count_ = 0;
    std::array<core::connection_id, connections_max> closing_{};
    std::uint32_t closing_count_ = 0;
};

}  // namespace

TEST_CASE("The core allocates nothing per event in steady state") {
    quiet_driver d;
    // Warm-up: reach the peak number of connections once.
    for (int i = 0; i < 8; ++i)
        d.cycle(batch_max, EAGAIN);
    REQUIRE(d.ok);

    const std::uint64_t before = allocations.load();
    for (int i = 0; i < 200; ++i) {
        d.cycle(1 + static_cast<std::uint32_t>(i) % batch_max, EAGAIN);
        d.cycle(3, ECONNABORTED);
        d.cycle(2, EMFILE);  // back-off, notice
        d.set_drop(i % 5 == 0);
    }
    const std::uint64_t during = allocations.load() - before;
    CHECK(d.ok);
    CHECK(during == 0);
    CHECK(d.server().stats().accepted > 1000);
    CHECK(d.server().stats().back_off_pauses > 100);
    CHECK(d.server().stats().dropped > 0);
    CHECK(d.server().invariant());
}

TEST_CASE("The writer's bookkeeping allocates nothing") {
    const std::uint64_t before = allocations.load();
    core::writer_tracker w(10 * core::ns_per_s, 30 * core::ns_per_s);
    std::uint64_t waiting = 0;
    for (core::time_ns t = 0; t < 100 * core::ns_per_s; t += 7 * core::ns_per_ms) {
        static_cast<void>(w.on_buffered(t, 100));
        w.on_flushed(t, w.bytes_waiting() / 2);
        static_cast<void>(w.check(t));
        waiting += w.bytes_waiting();
    }
    w.begin_close(100 * core::ns_per_s);
    static_cast<void>(w.check(200 * core::ns_per_s));
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
