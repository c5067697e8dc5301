// writer_tracker on its own: the buffer limit (too_full), reset for a slot's next
// connection, discard when the server closes the connection, which statuses count
// as flushing or failed, and deadlines computed without overflow at the edges of
// time.
#include <cerrno>
#include <limits>

#include <doctest/doctest.h>

#include "berth/core/options.hpp"
#include "berth/core/writer_tracker.hpp"

using namespace berth;
using core::writer_status;
using core::writer_tracker;

namespace {

constexpr core::time_ns limit_ns = 10 * core::ns_per_s;
constexpr core::time_ns flush_timeout_ns = 30 * core::ns_per_s;
constexpr core::time_ns max_ns = std::numeric_limits<core::time_ns>::max();

}  // namespace

TEST_CASE("A write that would exceed the limit is refused, counts nothing, and fails the writer") {
    writer_tracker w(limit_ns, 100, flush_timeout_ns);
    CHECK(w.on_buffered(0, 60));
    CHECK(w.on_buffered(1, 40));  // exactly the limit
    CHECK(w.bytes_waiting() == 100);
    CHECK_FALSE(w.on_buffered(2, 1));
    CHECK(w.status() == writer_status::too_full);
    REQUIRE(w.has_failed());
    CHECK(w.failure().status == writer_status::too_full);
    CHECK(w.failure().bytes_held == 100);
    CHECK(w.failure().bytes_refused == 1);
    CHECK(w.failure().limit_bytes == 100);
    CHECK(w.bytes_waiting() == 0);  // stopped: what waited is given up
    CHECK_FALSE(w.flushing());
    CHECK(w.next_deadline_ns() == core::no_deadline_ns);
}

TEST_CASE("reset starts a new connection's books: open, empty, no failure, the same limits") {
    writer_tracker w(limit_ns, 100, core::ns_per_s);
    CHECK(w.on_buffered(0, 100));
    w.begin_close(5);
    CHECK(w.check(core::ns_per_s + 5) == writer_status::ready_to_close);
    CHECK(w.final_flush_timed_out());
    w.reset();
    CHECK(w.status() == writer_status::open);
    CHECK(w.bytes_waiting() == 0);
    CHECK_FALSE(w.final_flush_timed_out());
    CHECK(w.failure().status == writer_status::open);
    CHECK(w.next_deadline_ns() == core::no_deadline_ns);
    CHECK(w.on_buffered(100, 100));
    CHECK(w.next_deadline_ns() == 100 + limit_ns + 1);
    CHECK_FALSE(w.on_buffered(100, 1));  // the limit is kept
}

TEST_CASE("discard stops a flushing writer and leaves a stopped one as it is") {
    writer_tracker open(limit_ns, 100, flush_timeout_ns);
    CHECK(open.on_buffered(0, 50));
    open.discard();
    CHECK(open.status() == writer_status::discarded);
    CHECK(open.bytes_waiting() == 0);
    CHECK_FALSE(open.has_failed());  // the server's decision, not a failure
    CHECK_FALSE(open.on_buffered(1, 1));

    writer_tracker flushing(limit_ns, 100, flush_timeout_ns);
    CHECK(flushing.on_buffered(0, 50));
    flushing.begin_close(0);
    flushing.discard();
    CHECK(flushing.status() == writer_status::discarded);
    CHECK(flushing.next_deadline_ns() == core::no_deadline_ns);

    writer_tracker failed(limit_ns, 100, flush_timeout_ns);
    failed.on_write_error(EIO);
    failed.discard();
    CHECK(failed.status() == writer_status::failed);
    CHECK(failed.error_value() == EIO);
}

TEST_CASE("flushing and has_failed name the statuses they say") {
    writer_tracker w(limit_ns, 100, flush_timeout_ns);
    CHECK(w.flushing());
    CHECK_FALSE(w.has_failed());
    w.begin_close(0);
    CHECK(w.flushing());
    CHECK_FALSE(w.accepts_writes());
    CHECK(w.check(0) == writer_status::ready_to_close);
    CHECK_FALSE(w.flushing());
    CHECK_FALSE(w.has_failed());

    writer_tracker gone(limit_ns, 100, flush_timeout_ns);
    gone.on_write_error(EPIPE);
    CHECK_FALSE(gone.flushing());
    CHECK_FALSE(gone.has_failed());
}

TEST_CASE("The final flush's deadline is computed without overflow at any time") {
    SUBCASE("a negative time") {
        writer_tracker w(core::unlimited_age_ns, 100, flush_timeout_ns);
        CHECK(w.on_buffered(-5 * core::ns_per_s, 10));
        w.begin_close(-5 * core::ns_per_s);
        CHECK(w.next_deadline_ns() == 25 * core::ns_per_s);
    }
    SUBCASE("a time too late to add the timeout to") {
        writer_tracker w(core::unlimited_age_ns, 100, flush_timeout_ns);
        CHECK(w.on_buffered(max_ns - 10, 10));
        w.begin_close(max_ns - 10);
        CHECK(w.next_deadline_ns() == core::no_deadline_ns);
        CHECK(w.check(max_ns - 1) == writer_status::final_flush);
    }
}

TEST_CASE("The age limit's deadline is computed without overflow at the end of time") {
    writer_tracker w(limit_ns, 100, flush_timeout_ns);
    CHECK(w.on_buffered(max_ns - limit_ns, 10));
    CHECK(w.next_deadline_ns() == core::no_deadline_ns);
    CHECK(w.check(max_ns) == writer_status::open);  // exactly the limit: not older
}
