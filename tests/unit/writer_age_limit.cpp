// SEMANTICS.md section 7, as the core keeps its books (writer_tracker): the age of
// the oldest unflushed byte against buffer_age_limit, the peer going away, and
// the final flush.
#include <cerrno>

#include <doctest/doctest.h>

#include "berth/core/options.hpp"
#include "berth/core/writer_tracker.hpp"

using namespace berth;
using core::writer_status;
using core::writer_tracker;

namespace {

constexpr core::time_ns limit_ns = 10 * core::ns_per_s;
constexpr core::time_ns flush_timeout_ns = 30 * core::ns_per_s;

}  // namespace

TEST_CASE("bytes_waiting counts what was buffered and not yet flushed") {
    writer_tracker w(limit_ns, core::unlimited_bytes, flush_timeout_ns);
    CHECK(w.bytes_waiting() == 0);
    CHECK(w.on_buffered(0, 100));
    CHECK(w.on_buffered(1, 50));
    CHECK(w.bytes_waiting() == 150);
    w.on_flushed(2, 120);
    CHECK(w.bytes_waiting() == 30);
    w.on_flushed(3, 30);
    CHECK(w.bytes_waiting() == 0);
    CHECK(w.oldest_age_ns(4) == 0);
    CHECK(w.accepts_writes());
}

TEST_CASE("The writer is too old only once the oldest unflushed byte is older than the limit") {
    writer_tracker w(limit_ns, core::unlimited_bytes, flush_timeout_ns);
    CHECK(w.next_deadline_ns() == core::no_deadline_ns);  // nothing waiting
    CHECK(w.on_buffered(0, 100));
    CHECK(w.next_deadline_ns() == limit_ns + 1);
    CHECK(w.check(limit_ns) == writer_status::open);  // exactly the limit: not older
    CHECK(w.check(limit_ns + 1) == writer_status::too_old);
    CHECK(w.status() == writer_status::too_old);
    REQUIRE(w.has_failed());
    CHECK(w.failure().status == writer_status::too_old);
    CHECK(w.failure().age_ns == limit_ns + 1);
    CHECK(w.failure().bytes_held == 100);
    CHECK(w.failure().limit_ns == limit_ns);
    // The waiting bytes are given up, and the writer takes no more.
    CHECK(w.bytes_waiting() == 0);
    CHECK_FALSE(w.accepts_writes());
    CHECK_FALSE(w.on_buffered(limit_ns + 2, 10));
    CHECK(w.bytes_waiting() == 0);
    CHECK(w.next_deadline_ns() == core::no_deadline_ns);
}

TEST_CASE("Catching up restarts the age clock") {
    writer_tracker w(limit_ns, core::unlimited_bytes, flush_timeout_ns);
    CHECK(w.on_buffered(0, 100));
    w.on_flushed(5 * core::ns_per_s, 100);
    CHECK(w.next_deadline_ns() == core::no_deadline_ns);
    CHECK(w.on_buffered(8 * core::ns_per_s, 100));
    CHECK(w.next_deadline_ns() == 8 * core::ns_per_s + limit_ns + 1);
    CHECK(w.check(limit_ns + 1) == writer_status::open);
    CHECK(w.check(8 * core::ns_per_s + limit_ns) == writer_status::open);
    CHECK(w.check(8 * core::ns_per_s + limit_ns + 1) == writer_status::too_old);
}

TEST_CASE("A partial flush keeps the clock of the oldest byte still waiting") {
    writer_tracker w(limit_ns, core::unlimited_bytes, flush_timeout_ns);
    const core::time_ns second_ns = 6 * core::ns_per_s;
    CHECK(w.on_buffered(0, 100));
    CHECK(w.on_buffered(second_ns, 100));
    w.on_flushed(7 * core::ns_per_s, 50);  // half of the first write
    CHECK(w.next_deadline_ns() == limit_ns + 1);
    CHECK(w.oldest_age_ns(7 * core::ns_per_s) == 7 * core::ns_per_s);
    w.on_flushed(8 * core::ns_per_s, 50);  // the rest of the first write
    CHECK(w.next_deadline_ns() == second_ns + limit_ns + 1);
    CHECK(w.check(limit_ns + 1) == writer_status::open);
    CHECK(w.check(second_ns + limit_ns + 1) == writer_status::too_old);
    CHECK(w.failure().bytes_held == 100);
}

TEST_CASE(
    "The measured age errs towards tripping, by less than limit/16, and a writer that "
    "keeps up within the limit never trips") {
    writer_tracker w(limit_ns, core::unlimited_bytes, flush_timeout_ns);
    // The true history: when each 10-byte write happened. The writer lags 5 s behind.
    constexpr core::time_ns step_ns = 37 * core::ns_per_ms;
    constexpr core::time_ns lag_ns = 5 * core::ns_per_s;
    std::uint64_t flushed_writes = 0;
    for (std::uint64_t i = 0; i < 2000; ++i) {
        const auto t = static_cast<core::time_ns>(i) * step_ns;
        REQUIRE(w.on_buffered(t, 10));
        std::uint64_t due = 0;
        while (flushed_writes + due <= i &&
               static_cast<core::time_ns>(flushed_writes + due) * step_ns <= t - lag_ns) {
            ++due;
        }
        if (due > 0) w.on_flushed(t, due * 10);
        flushed_writes += due;
        REQUIRE(w.check(t) == writer_status::open);
        const core::time_ns true_age_ns = t - static_cast<core::time_ns>(flushed_writes) * step_ns;
        CHECK(w.oldest_age_ns(t) >= true_age_ns);
        CHECK(w.oldest_age_ns(t) < true_age_ns + limit_ns / 16);
        CHECK(w.next_deadline_ns() <= t - true_age_ns + limit_ns + 1);
    }
}

TEST_CASE("An unlimited age never trips") {
    writer_tracker w(core::unlimited_age_ns, core::unlimited_bytes, flush_timeout_ns);
    CHECK(w.on_buffered(0, 100));
    CHECK(w.next_deadline_ns() == core::no_deadline_ns);
    CHECK(w.check(365 * 24 * 3600 * core::ns_per_s) == writer_status::open);
    CHECK(w.bytes_waiting() == 100);
}

TEST_CASE("A write error that means the peer went away stops the writer quietly") {
    for (const int e : {EPIPE, ECONNRESET, ENOTCONN, ESHUTDOWN, ECONNABORTED, ETIMEDOUT}) {
        CAPTURE(e);
        CHECK(core::is_peer_gone_error(e));
        writer_tracker w(limit_ns, core::unlimited_bytes, flush_timeout_ns);
        CHECK(w.on_buffered(0, 100));
        w.on_write_error(e);
        CHECK(w.status() == writer_status::peer_gone);
        CHECK_FALSE(w.has_failed());  // a departed peer is no failure
        CHECK(w.error_value() == e);
        CHECK(w.bytes_waiting() == 0);  // discarded
        CHECK_FALSE(w.on_buffered(1, 10));
        CHECK(w.next_deadline_ns() == core::no_deadline_ns);
        CHECK(w.check(limit_ns * 2) == writer_status::peer_gone);  // never too old
    }
}

TEST_CASE("Any other write error fails the writer") {
    for (const int e : {EIO, ENOSPC, EBADF, EINVAL, ENOMEM}) {
        CAPTURE(e);
        CHECK_FALSE(core::is_peer_gone_error(e));
        writer_tracker w(limit_ns, core::unlimited_bytes, flush_timeout_ns);
        CHECK(w.on_buffered(0, 100));
        w.on_write_error(e);
        CHECK(w.status() == writer_status::failed);
        REQUIRE(w.has_failed());
        CHECK(w.failure().status == writer_status::failed);
        CHECK(w.error_value() == e);
        CHECK(w.bytes_waiting() == 0);
        CHECK_FALSE(w.on_buffered(1, 10));
    }
}

TEST_CASE("The first stop wins: later write errors change nothing") {
    writer_tracker w(limit_ns, core::unlimited_bytes, flush_timeout_ns);
    CHECK(w.on_buffered(0, 100));
    CHECK(w.check(limit_ns + 1) == writer_status::too_old);
    w.on_write_error(EPIPE);
    CHECK(w.status() == writer_status::too_old);
    CHECK(w.error_value() == 0);
}

TEST_CASE("The final flush is ready to close once the buffer is empty") {
    writer_tracker w(limit_ns, core::unlimited_bytes, flush_timeout_ns);
    CHECK(w.on_buffered(0, 100));
    w.begin_close(core::ns_per_s);
    CHECK(w.status() == writer_status::final_flush);
    CHECK_FALSE(w.on_buffered(core::ns_per_s, 10));  // no writes after the result
    CHECK(w.bytes_waiting() == 100);
    CHECK(w.check(2 * core::ns_per_s) == writer_status::final_flush);
    w.on_flushed(3 * core::ns_per_s, 100);
    CHECK(w.check(3 * core::ns_per_s) == writer_status::ready_to_close);
    CHECK_FALSE(w.final_flush_timed_out());
}

TEST_CASE("An empty writer is ready to close at once") {
    writer_tracker w(limit_ns, core::unlimited_bytes, flush_timeout_ns);
    w.begin_close(0);
    CHECK(w.check(0) == writer_status::ready_to_close);
}

TEST_CASE("The final flush gives up at its deadline") {
    writer_tracker w(core::unlimited_age_ns, core::unlimited_bytes, flush_timeout_ns);
    CHECK(w.on_buffered(0, 100));
    const core::time_ns closed_at_ns = core::ns_per_s;
    w.begin_close(closed_at_ns);
    CHECK(w.next_deadline_ns() == closed_at_ns + flush_timeout_ns);
    CHECK(w.check(closed_at_ns + flush_timeout_ns - 1) == writer_status::final_flush);
    CHECK(w.check(closed_at_ns + flush_timeout_ns) == writer_status::ready_to_close);
    CHECK(w.final_flush_timed_out());
    CHECK(w.bytes_waiting() == 0);
}

TEST_CASE("The age limit still applies during the final flush") {
    writer_tracker w(limit_ns, core::unlimited_bytes, flush_timeout_ns);
    CHECK(w.on_buffered(0, 100));
    w.begin_close(core::ns_per_s);
    CHECK(w.next_deadline_ns() == limit_ns + 1);  // earlier than the flush deadline
    CHECK(w.check(limit_ns + 1) == writer_status::too_old);
}

TEST_CASE("A stopped writer is ready to close without a final flush") {
    writer_tracker w(limit_ns, core::unlimited_bytes, flush_timeout_ns);
    CHECK(w.on_buffered(0, 100));
    w.on_write_error(ECONNRESET);
    w.begin_close(core::ns_per_s);
    CHECK(w.status() == writer_status::peer_gone);
    CHECK(w.next_deadline_ns() == core::no_deadline_ns);
    CHECK_FALSE(w.final_flush_timed_out());
}

TEST_CASE("A peer gone during the final flush ends it") {
    writer_tracker w(limit_ns, core::unlimited_bytes, flush_timeout_ns);
    CHECK(w.on_buffered(0, 100));
    w.begin_close(core::ns_per_s);
    w.on_write_error(EPIPE);
    CHECK(w.status() == writer_status::peer_gone);
    CHECK(w.bytes_waiting() == 0);
}

TEST_CASE(
    "Writes a sixteenth of the limit or more apart are dated apart, closer ones share the "
    "earlier date") {
    constexpr core::time_ns spacing_ns = limit_ns / 16;
    SUBCASE("exactly a sixteenth apart") {
        writer_tracker w(limit_ns, core::unlimited_bytes, flush_timeout_ns);
        CHECK(w.on_buffered(0, 10));
        CHECK(w.on_buffered(spacing_ns, 10));
        w.on_flushed(spacing_ns, 10);  // the first write is out
        CHECK(w.oldest_age_ns(spacing_ns) == 0);
        CHECK(w.next_deadline_ns() == spacing_ns + limit_ns + 1);
    }
    SUBCASE("a nanosecond less") {
        writer_tracker w(limit_ns, core::unlimited_bytes, flush_timeout_ns);
        CHECK(w.on_buffered(0, 10));
        CHECK(w.on_buffered(spacing_ns - 1, 10));
        w.on_flushed(spacing_ns, 10);
        CHECK(w.oldest_age_ns(spacing_ns) == spacing_ns);  // dated with the first write
        CHECK(w.next_deadline_ns() == limit_ns + 1);
    }
}
