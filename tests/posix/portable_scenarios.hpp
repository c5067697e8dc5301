// What a user of the portable handler API relies on, checked on a real backend with
// real loopback sockets: written once, run by the Asio tests (tests/asio) and the
// libuv tests (tests/uv) with their harness. A harness H provides
//
//   static std::size_t open_descriptors();         // the process's, before H exists
//   H::server_type create(spec, options, reader_writer_handler, server_hooks = {});
//   H::server_type create_sock(spec, options, stream_handler, server_hooks = {});
//   bool run_until(condition, bound);               // runs the loop; false at the bound
//   bool close_all(server&);                        // close(true), then handlers_finished
//   bool wound_down();                              // the loop has nothing left to run
//
// Every scenario opens its own loop, checks the descriptors before and after, and
// ends by itself within a few seconds.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string>
#include <system_error>
#include <unistd.h>
#include <vector>

#include <doctest/doctest.h>

#include "berth/errors.hpp"
#include "berth/handler.hpp"
#include "berth/line_protocol.hpp"
#include "berth/posix/listen_spec.hpp"
#include "loopback_peer.hpp"

namespace berth::test {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

inline posix::listen_spec loopback() {
    return posix::listen_spec::bind_to(posix::bind_address::localhost(),
                                       posix::bind_port::chosen_by_os());
}

/// Options with the `call` policy (hooks from an error_log) and room for a few
/// connections.
inline core::options call_options() {
    core::options o;
    o.max_connections = 4;
    o.on_handler_error = core::error_policy::call;
    return o;
}

/// What the `call` policy was given: the peer, and the error's type and text.
struct error_log {
    struct entry {
        address peer;
        std::string what;
        bool is_writer_error = false;
    };
    std::vector<entry> entries;

    server_hooks hooks() {
        server_hooks h;
        h.on_handler_error = [this](const address& peer, std::exception_ptr e) {
            entry x{peer, {}, false};
            try {
                std::rethrow_exception(e);
            } catch (const writer_error& w) {
                x.what = w.what();
                x.is_writer_error = true;
            } catch (const std::exception& other) {
                x.what = other.what();
            }
            entries.push_back(x);
        };
        return h;
    }
};

/// The resident set of the process, in bytes.
inline std::uint64_t resident_bytes() {
    std::ifstream statm("/proc/self/statm");
    std::uint64_t pages = 0;
    std::uint64_t resident = 0;
    statm >> pages >> resident;
    return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

inline std::chrono::milliseconds elapsed_since(steady::time_point t0) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0);
}

// --- The writer's bound ---------------------------------------------------------

/// A client sends "flood 1073741824" and never reads: the server's writer for it
/// never holds more than buffer_limit_bytes (the rest of the cost is the kernel's
/// socket buffers), the process does not grow by the flood, and another client's
/// echo is answered within 200 ms while the flood is stuck.
template <typename H>
void flood_to_a_peer_that_never_reads_stays_within_the_writer_limit() {
    const std::size_t before = H::open_descriptors();
    {
        H h;
        core::options o = call_options();
        o.buffer_limit_bytes = 256 * 1024;
        error_log errors;
        std::vector<writer*> writers;  // by connection order; valid while it is served
        auto s = h.create(
            loopback(), o,
            [&](address p, reader& r, writer& w) {
                writers.push_back(&w);
                return serve_line_protocol(p, r, w);
            },
            errors.hooks());
        const address at = s.listening_on_address();

        peer flood(at, 64 * 1024);
        REQUIRE(h.run_until([&] { return writers.size() == 1; }, 2s));
        writer& flood_writer = *writers[0];
        std::uint64_t held_max = 0;
        const auto sample = [&] {
            held_max = std::max(held_max, flood_writer.bytes_buffered());
            return false;
        };
        const std::uint64_t resident_before = resident_bytes();
        flood.send("flood 1073741824\n");
        // Long enough for the kernel's buffers to fill and the flood to stall.
        static_cast<void>(h.run_until(sample, 300ms));
        const std::size_t queued_at_peer = flood.unread_in_kernel();
        CHECK(queued_at_peer > 0);                 // the flood is under way...
        CHECK(queued_at_peer < 64ULL << 20);       // ...held back by the peer's window
        CHECK(flood_writer.bytes_buffered() > 0);  // the writer waits for the kernel

        peer echo(at);
        const auto t0 = steady::now();
        echo.send("ping\n");
        std::optional<std::string> answer;
        CHECK(h.run_until(
            [&] {
                sample();
                answer = echo.take_line();
                return answer.has_value();
            },
            2s));
        const auto echo_time = elapsed_since(t0);
        CHECK(answer == "ping");
        CAPTURE(echo_time.count());
        CHECK(echo_time < 200ms);
        static_cast<void>(h.run_until(sample, 100ms));

        CAPTURE(held_max);
        CHECK(held_max > 0);
        CHECK(held_max <= o.buffer_limit_bytes);
        const std::uint64_t resident_after = resident_bytes();
        CHECK(resident_after < resident_before + (64ULL << 20));  // not the flood's GiB
        CHECK(s.num_connections() == 2);
        CHECK(s.stats().writer_failures == 0);
        CHECK(errors.entries.empty());

        // Reading lets the flood go on: it was held back, not stopped.
        flood.discard_input();
        const std::size_t read_before = flood.received_bytes();
        CHECK(h.run_until(
            [&] {
                sample();
                static_cast<void>(flood.read_some(256 * 1024));
                return flood.received_bytes() > read_before + queued_at_peer + (1 << 20);
            },
            3s));
        CHECK(held_max <= o.buffer_limit_bytes);

        // The flooding peer leaving is the normal end of its connection.
        writers.clear();
        flood.reset();
        CHECK(h.run_until([&] { return s.num_connections() == 1; }, 2s));
        CHECK(s.stats().handler_ok == 1);
        CHECK(s.stats().handler_errors == 0);
        CHECK(h.close_all(s));
        CHECK(errors.entries.empty());
        CHECK(s.invariant());
        echo.close();
        CHECK(h.wound_down());
    }
    CHECK(H::open_descriptors() == before);
}

/// Writes without awaiting flushed(): exactly buffer_limit_bytes held is allowed,
/// the write that would exceed it fails the connection with a writer_error naming
/// the bytes held, the write refused and the limit, and `call` sees it.
template <typename H>
void a_write_beyond_the_buffer_limit_fails_the_connection_with_writer_error() {
    const std::size_t before = H::open_descriptors();
    {
        H h;
        core::options o = call_options();
        o.buffer_limit_bytes = 64 * 1024;
        error_log errors;
        int accepted_writes = 0;
        bool accepts_after = true;
        bool handler_returned = false;
        auto s = h.create(
            loopback(), o,
            [&](address, reader&, writer& w) -> task<> {
                const std::string chunk(16 * 1024, 'y');
                // Bounded: eight writes at most; none waits, so the kernel's progress
                // is not reported in between.
                for (int i = 0; i < 8 && w.accepts_writes(); ++i) {
                    w.write(chunk);
                    if (w.accepts_writes()) ++accepted_writes;
                }
                accepts_after = w.accepts_writes();
                w.write("ignored\n");  // after the result: discarded
                handler_returned = true;
                co_return;
            },
            errors.hooks());
        peer c(s.listening_on_address());
        REQUIRE(h.run_until([&] { return errors.entries.size() == 1; }, 2s));
        CHECK(handler_returned);
        CHECK(accepted_writes == 4);  // 4 x 16 KiB = the limit exactly
        CHECK_FALSE(accepts_after);
        const error_log::entry& e = errors.entries[0];
        CHECK(e.is_writer_error);
        CHECK(e.what ==
              "writer buffer full: 65536 bytes held, a write of 16384 bytes refused "
              "(buffer_limit_bytes 65536 exceeded)");
        CHECK(e.peer == c.local_address());
        CHECK(s.stats().writer_failures == 1);
        CHECK(s.stats().handler_errors == 1);
        CHECK(s.stats().late_writes == 1);
        CHECK(h.run_until([&] { return c.ended(); }, 2s));  // closed without waiting
        CHECK(s.num_connections() == 0);
        CHECK(h.close_all(s));
        c.close();
        CHECK(h.wound_down());
    }
    CHECK(H::open_descriptors() == before);
}

/// One write larger than the limit is refused even with nothing held, after a
/// write of exactly the limit was taken and flushed.
template <typename H>
void a_single_write_larger_than_the_limit_is_refused_with_nothing_held() {
    const std::size_t before = H::open_descriptors();
    {
        H h;
        core::options o = call_options();
        o.buffer_limit_bytes = 64 * 1024;
        error_log errors;
        std::optional<bool> first_flushed;
        auto s = h.create(
            loopback(), o,
            [&](address, reader&, writer& w) -> task<> {
                w.write(std::string(64 * 1024, 'a'));
                first_flushed = co_await w.flushed();
                w.write(std::string(64 * 1024 + 1, 'b'));
            },
            errors.hooks());
        peer c(s.listening_on_address());
        REQUIRE(h.run_until([&] { return errors.entries.size() == 1; }, 2s));
        CHECK(first_flushed == true);
        CHECK(errors.entries[0].is_writer_error);
        CHECK(errors.entries[0].what ==
              "writer buffer full: 0 bytes held, a write of 65537 bytes refused "
              "(buffer_limit_bytes 65536 exceeded)");
        // What was taken before the refusal reached the peer; nothing of the refused write.
        CHECK(h.run_until([&] { return c.ended(); }, 2s));
        CHECK(c.received() == std::string(64 * 1024, 'a'));
        CHECK(h.close_all(s));
        c.close();
        CHECK(h.wound_down());
    }
    CHECK(H::open_descriptors() == before);
}

/// `co_await w.flushed()` resumes only once the kernel took everything, which for a
/// large write means once a slow peer has read most of it; it yields true.
template <typename H>
void flushed_resumes_once_a_slow_peer_has_read() {
    const std::size_t before = H::open_descriptors();
    {
        H h;
        constexpr std::size_t total = 16 << 20;
        core::options o = call_options();
        o.buffer_limit_bytes = 32 << 20;
        error_log errors;
        std::unique_ptr<peer> slow;
        std::optional<bool> flushed;
        std::size_t read_at_resume = 0;
        std::uint64_t buffered_at_resume = 1;
        std::uint64_t buffered_while_waiting = 0;
        writer* the_writer = nullptr;
        auto s = h.create(
            loopback(), o,
            [&](address, reader&, writer& w) -> task<> {
                the_writer = &w;
                w.write(std::string(total, 'z'));
                flushed = co_await w.flushed();
                read_at_resume = slow->received_bytes();
                buffered_at_resume = w.bytes_buffered();
                the_writer = nullptr;
            },
            errors.hooks());
        slow = std::make_unique<peer>(s.listening_on_address(), 64 * 1024);
        slow->discard_input();
        // The peer does not read: flushed() does not resume.
        static_cast<void>(h.run_until([] { return false; }, 200ms));
        CHECK_FALSE(flushed.has_value());
        REQUIRE(the_writer != nullptr);
        buffered_while_waiting = the_writer->bytes_buffered();
        CHECK(buffered_while_waiting > 0);
        CHECK(buffered_while_waiting <= total);
        // The peer reads a little every turn of the loop.
        CHECK(h.run_until(
            [&] {
                static_cast<void>(slow->read_some(256 * 1024));
                return flushed.has_value();
            },
            5s));
        CHECK(flushed == true);
        CHECK(buffered_at_resume == 0);
        CAPTURE(read_at_resume);
        // All but what the kernel's buffers hold (a few MiB at most) was read.
        CHECK(read_at_resume >= total / 2);
        CHECK(h.run_until(
            [&] {
                static_cast<void>(slow->read_some(SIZE_MAX));
                return slow->ended();
            },
            2s));
        CHECK(slow->received_bytes() == total);
        CHECK(h.run_until([&] { return s.stats().handler_ok == 1; }, 2s));
        CHECK(errors.entries.empty());
        CHECK(h.close_all(s));
        slow.reset();
        CHECK(h.wound_down());
    }
    CHECK(H::open_descriptors() == before);
}

/// flushed() yields false once the writer stopped: when the peer goes away (an ok
/// result, no writer failure) and when the server closes the connection.
template <typename H>
void flushed_yields_false_when_the_writer_stops() {
    const std::size_t before = H::open_descriptors();
    {
        H h;
        core::options o = call_options();
        o.buffer_limit_bytes = 32 << 20;
        error_log errors;
        std::vector<std::optional<bool>> flushed;
        std::vector<bool> accepts_after;
        auto s = h.create(
            loopback(), o,
            [&](address, reader&, writer& w) -> task<> {
                const std::size_t me = flushed.size();
                flushed.emplace_back();
                accepts_after.push_back(true);
                w.write(std::string(16 << 20, 'q'));
                const bool f = co_await w.flushed();
                flushed[me] = f;
                accepts_after[me] = w.accepts_writes();
            },
            errors.hooks());
        {
            peer gone(s.listening_on_address(), 64 * 1024);
            REQUIRE(h.run_until([&] { return flushed.size() == 1; }, 2s));
            static_cast<void>(h.run_until([] { return false; }, 50ms));
            CHECK_FALSE(flushed[0].has_value());
            gone.reset();  // unread data: the server's next write meets a reset
            CHECK(h.run_until([&] { return flushed[0].has_value(); }, 2s));
            CHECK(flushed[0] == false);
            CHECK_FALSE(accepts_after[0]);
            CHECK(h.run_until([&] { return s.num_connections() == 0; }, 2s));
            CHECK(s.stats().handler_ok == 1);  // the peer going away is no failure
            CHECK(s.stats().writer_failures == 0);
        }
        {
            peer stays(s.listening_on_address(), 64 * 1024);
            stays.discard_input();
            REQUIRE(h.run_until([&] { return flushed.size() == 2; }, 2s));
            static_cast<void>(h.run_until([] { return false; }, 50ms));
            CHECK_FALSE(flushed[1].has_value());
            CHECK(h.close_all(s));  // close(true): the writer's bytes are dropped
            CHECK(flushed[1] == false);
            CHECK_FALSE(accepts_after[1]);
            CHECK(h.run_until([&] { return stays.ended(); }, 2s));
        }
        CHECK(s.stats().handler_ok == 2);
        CHECK(errors.entries.empty());
        CHECK(h.wound_down());
    }
    CHECK(H::open_descriptors() == before);
}

/// A handler that returns with bytes its peer does not read gets its final flush
/// for at most final_flush_timeout, then the socket closes; the result is ok.
template <typename H>
void the_final_flush_of_a_finished_handler_is_bounded_by_final_flush_timeout() {
    const std::size_t before = H::open_descriptors();
    {
        H h;
        core::options o = call_options();
        o.buffer_limit_bytes = 32 << 20;
        o.final_flush_timeout_ns = 150 * core::ns_per_ms;
        error_log errors;
        bool returned = false;
        auto s = h.create(
            loopback(), o,
            [&](address, reader&, writer& w) -> task<> {
                w.write(std::string(16 << 20, 'f'));
                returned = true;
                co_return;
            },
            errors.hooks());
        peer c(s.listening_on_address(), 64 * 1024);
        c.discard_input();
        REQUIRE(h.run_until([&] { return returned; }, 2s));
        const auto t0 = steady::now();
        static_cast<void>(h.run_until([] { return false; }, 75ms));
        CHECK(s.num_connections() == 1);  // still flushing
        CHECK(h.run_until([&] { return s.num_connections() == 0; }, 2s));
        const auto flushed_for = elapsed_since(t0);
        CAPTURE(flushed_for.count());
        CHECK(flushed_for >= 75ms);
        CHECK(flushed_for < 1500ms);
        CHECK(s.stats().handler_ok == 1);
        CHECK(s.stats().writer_failures == 0);
        CHECK(errors.entries.empty());
        CHECK(h.run_until(
            [&] {
                static_cast<void>(c.read_some(SIZE_MAX));
                return c.ended();
            },
            2s));
        CHECK(c.received_bytes() < (16U << 20));  // cut short, not delivered whole
        CHECK(h.close_all(s));
        c.close();
        CHECK(h.wound_down());
    }
    CHECK(H::open_descriptors() == before);
}

/// Bytes waiting longer than buffer_age_limit fail the connection with a
/// writer_error giving their age, the bytes waiting and the limit.
template <typename H>
void bytes_older_than_buffer_age_limit_fail_the_connection_with_writer_error() {
    const std::size_t before = H::open_descriptors();
    {
        H h;
        core::options o = call_options();
        o.buffer_limit_bytes = 32 << 20;
        o.buffer_age_limit_ns = 100 * core::ns_per_ms;
        error_log errors;
        std::optional<bool> flushed;
        auto s = h.create(
            loopback(), o,
            [&](address, reader&, writer& w) -> task<> {
                w.write(std::string(16 << 20, 'o'));
                flushed = co_await w.flushed();
            },
            errors.hooks());
        peer c(s.listening_on_address(), 64 * 1024);
        c.discard_input();
        const auto t0 = steady::now();
        REQUIRE(h.run_until([&] { return errors.entries.size() == 1; }, 3s));
        const auto failed_after = elapsed_since(t0);
        CAPTURE(failed_after.count());
        CHECK(failed_after >= 90ms);  // within a sixteenth of the limit, erring early
        CHECK(failed_after < 1500ms);
        const error_log::entry& e = errors.entries[0];
        CAPTURE(e.what);
        CHECK(e.is_writer_error);
        CHECK(e.what.rfind("writer buffer too old: ", 0) == 0);
        CHECK(e.what.find(" bytes waiting (buffer_age_limit 100 ms exceeded)") !=
              std::string::npos);
        CHECK(flushed == false);
        CHECK(s.stats().writer_failures == 1);
        CHECK(h.run_until([&] { return c.ended(); }, 2s));  // closed without waiting
        CHECK(h.close_all(s));
        c.close();
        CHECK(h.wound_down());
    }
    CHECK(H::open_descriptors() == before);
}

// --- sleep_for ------------------------------------------------------------------

/// `co_await berth::sleep_for(d)` in a handler suspends it for at least d without
/// holding up the loop: another connection is served meanwhile.
template <typename H>
void sleep_for_suspends_one_handler_while_others_are_served() {
    const std::size_t before = H::open_descriptors();
    {
        H h;
        error_log errors;
        auto s = h.create(loopback(), call_options(), line_protocol_handler(), errors.hooks());
        peer sleeper(s.listening_on_address());
        peer other(s.listening_on_address());
        const auto t0 = steady::now();
        sleeper.send("sleep 150\n");
        other.send("meanwhile\n");
        CHECK(h.run_until([&] { return other.received() == "meanwhile\n"; }, 2s));
        CHECK(elapsed_since(t0) < 150ms);
        CHECK(sleeper.received().empty());
        CHECK(h.run_until([&] { return sleeper.received() == "sleep 150\n"; }, 2s));
        CHECK(elapsed_since(t0) >= 150ms);
        CHECK(errors.entries.empty());
        CHECK(h.close_all(s));
        sleeper.close();
        other.close();
        CHECK(h.wound_down());
    }
    CHECK(H::open_descriptors() == before);
}

// --- The reader --------------------------------------------------------------------

/// read_exactly, read_line (CRLF, the unterminated rest), read_some, then the end
/// of the stream reported as nothing, with an empty end_reason, instead of thrown.
template <typename H>
void the_reader_reads_exactly_lines_and_some_then_reports_the_end() {
    const std::size_t before = H::open_descriptors();
    {
        H h;
        error_log errors;
        std::string log;
        auto s = h.create(
            loopback(), call_options(),
            [&](address, reader& r, writer& w) -> task<> {
                std::array<char, 4> head{};
                const std::size_t n = co_await r.read_exactly(head);
                log += std::string(head.data(), n) + "|";
                const std::optional<std::string> crlf = co_await r.read_line();
                log += crlf.value_or("<none>") + "|";
                const std::optional<std::string_view> view = co_await r.read_line_view();
                log += std::string(view.value_or("<none>")) + "|";
                std::array<char, 64> some{};
                const std::size_t m = co_await r.read_some(some);
                log += std::string(some.data(), m) + "|";
                const std::optional<std::string> rest = co_await r.read_line();
                log += rest.value_or("<end>");
                log += r.at_end() && !r.end_reason() ? "|clean end" : "|?";
                w.write("done\n");
            },
            errors.hooks());
        peer c(s.listening_on_address());
        c.send("abcdline one\r\nline two\nunter");
        CHECK(h.run_until([&] { return s.num_connections() == 1; }, 2s));
        static_cast<void>(h.run_until([] { return false; }, 20ms));
        c.send("minated");
        c.shutdown_write();
        CHECK(h.run_until([&] { return c.ended(); }, 2s));
        CHECK(c.received() == "done\n");  // the final flush after the handler's end
        CHECK(log == "abcd|line one|line two|unter|minated|clean end");
        CHECK(h.run_until([&] { return s.stats().handler_ok == 1; }, 2s));
        CHECK(errors.entries.empty());
        CHECK(h.close_all(s));
        c.close();
        CHECK(h.wound_down());
    }
    CHECK(H::open_descriptors() == before);
}

// --- The reader's timeouts ------------------------------------------------------

/// read_line_for, read_some_for and read_exactly_for give up after their timeout,
/// not before; the reader stays usable and what arrives later is not lost.
template <typename H>
void timed_reads_time_out_and_lose_nothing_that_arrives_later() {
    const std::size_t before = H::open_descriptors();
    {
        H h;
        error_log errors;
        std::vector<std::string> log;
        std::chrono::milliseconds first_wait{0};
        auto s = h.create(
            loopback(), call_options(),
            [&](address, reader& r, writer& w) -> task<> {
                const auto t0 = steady::now();
                // "par" has arrived, without its newline.
                const timed_line a = co_await r.read_line_for(50ms);
                first_wait = elapsed_since(t0);
                log.push_back("line_for:" + std::string(a.timed_out ? "timeout" : "line") + ":" +
                              a.line.value_or("-"));
                w.write("1\n");
                const std::optional<std::string> whole = co_await r.read_line();
                log.push_back("line:" + whole.value_or("-"));
                std::array<char, 16> some{};
                const timed_read b = co_await r.read_some_for(some, 50ms);
                log.push_back("some_for:" + std::string(b.timed_out ? "timeout" : "read") + ":" +
                              std::to_string(b.bytes));
                w.write("2\n");
                const std::size_t n = co_await r.read_some(some);
                log.push_back("some:" + std::string(some.data(), n));
                w.write("3\n");
                std::array<char, 4> four{};
                const timed_read c = co_await r.read_exactly_for(four, 300ms);
                log.push_back("exactly_for:" + std::string(c.timed_out ? "timeout" : "read") + ":" +
                              std::string(four.data(), c.bytes));
                w.write("4\n");
                const std::size_t rest =
                    co_await r.read_exactly(std::span<char>(four).subspan(c.bytes));
                log.push_back("exactly:" + std::string(four.data(), c.bytes + rest));
                const timed_line end = co_await r.read_line_for(2s);
                log.push_back("end:" + std::string(end.timed_out ? "timeout" : "end") + ":" +
                              end.line.value_or("-") + (r.at_end() ? ":at_end" : ""));
            },
            errors.hooks());
        peer c(s.listening_on_address());
        c.send("par");
        const auto expect = [&](const char* line) {
            std::optional<std::string> got;
            CHECK(h.run_until(
                [&] {
                    got = c.take_line();
                    return got.has_value();
                },
                2s));
            CHECK(got == line);
        };
        expect("1");
        c.send("tial\n");
        expect("2");
        c.send("xyz");
        expect("3");
        c.send("ab");  // half of what read_exactly_for wants
        expect("4");
        c.send("cd");
        c.shutdown_write();
        CHECK(h.run_until([&] { return s.stats().handler_ok == 1; }, 2s));
        CHECK(log == std::vector<std::string>{
                         "line_for:timeout:-", "line:partial", "some_for:timeout:0", "some:xyz",
                         "exactly_for:timeout:ab", "exactly:abcd", "end:end:-:at_end"});
        CAPTURE(first_wait.count());
        CHECK(first_wait >= 50ms);
        CHECK(first_wait < 1000ms);
        CHECK(errors.entries.empty());
        CHECK(h.close_all(s));
        c.close();
        CHECK(h.wound_down());
    }
    CHECK(H::open_descriptors() == before);
}

// --- The stream form --------------------------------------------------------------

struct stream_record {
    address peer_argument;
    address peer_of_stream;
    std::int64_t handle = -2;
    bool handle_is_the_socket = false;
    bool nonblocking = false;
    bool cloexec = false;
    bool nodelay = false;
    std::string first_read;
    std::error_code first_write{1, std::generic_category()};
    std::error_code write_after_shutdown;
    std::string read_after_shutdown;
    std::size_t read_after_close = 99;
    bool at_end_after_close = false;
    std::error_code end_after_close;
    bool done = false;
};

/// The stream's operations on a real socket: peer(), native_handle() (the accepted
/// descriptor: non-blocking, close-on-exec, TCP_NODELAY), read_some, write,
/// shutdown (the peer sees the end, reads go on, writes fail), close (reads end).
template <typename H>
void stream_operations_work_on_the_accepted_socket() {
    const std::size_t before = H::open_descriptors();
    {
        H h;
        error_log errors;
        stream_record rec;
        auto s = h.create_sock(
            loopback(), call_options(),
            [&](address p, stream& st) -> task<> {
                rec.peer_argument = p;
                rec.peer_of_stream = st.peer();
                rec.handle = st.native_handle();
                const int fd = static_cast<int>(rec.handle);
                sockaddr_storage remote{};
                socklen_t length = sizeof(remote);
                rec.handle_is_the_socket =
                    ::getpeername(fd, reinterpret_cast<sockaddr*>(&remote), &length) == 0 &&
                    posix::socket_address(reinterpret_cast<const sockaddr*>(&remote), length)
                            .to_address() == p;
                rec.nonblocking = (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
                rec.cloexec = (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
                int nodelay = 0;
                socklen_t nodelay_length = sizeof(nodelay);
                rec.nodelay =
                    ::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &nodelay_length) == 0 &&
                    nodelay != 0;
                std::array<char, 64> buffer{};
                std::size_t n = co_await st.read_some(buffer);
                rec.first_read.assign(buffer.data(), n);
                rec.first_write = co_await st.write("world\n");
                st.shutdown();
                rec.write_after_shutdown = co_await st.write("never\n");
                n = co_await st.read_some(buffer);
                rec.read_after_shutdown.assign(buffer.data(), n);
                st.close();
                rec.read_after_close = co_await st.read_some(buffer);
                rec.at_end_after_close = st.at_end();
                rec.end_after_close = st.end_reason();
                rec.done = true;
            },
            errors.hooks());
        peer c(s.listening_on_address());
        c.send("hello");
        CHECK(h.run_until([&] { return c.ended(); }, 2s));  // the shutdown's end of stream
        CHECK(c.received() == "world\n");
        CHECK(c.end_error() == 0);
        c.send("after");
        CHECK(h.run_until([&] { return rec.done && s.num_connections() == 0; }, 2s));
        CHECK(rec.peer_argument == c.local_address());
        CHECK(rec.peer_of_stream == c.local_address());
        CHECK(rec.handle >= 0);
        CHECK(rec.handle_is_the_socket);
        CHECK(rec.nonblocking);
        CHECK(rec.cloexec);
        CHECK(rec.nodelay);
        CHECK(rec.first_read == "hello");
        CHECK_FALSE(rec.first_write);
        CHECK(rec.write_after_shutdown == std::errc::broken_pipe);
        CHECK(rec.read_after_shutdown == "after");
        CHECK(rec.read_after_close == 0);
        CHECK(rec.at_end_after_close);
        CHECK(rec.end_after_close == std::errc::operation_canceled);
        CHECK(s.stats().handler_ok == 1);
        CHECK(errors.entries.empty());
        CHECK(h.close_all(s));
        c.close();
        CHECK(h.wound_down());
    }
    CHECK(H::open_descriptors() == before);
}

/// A stream's end says why: empty for the peer's orderly end, connection_reset for
/// a reset, operation_canceled when the server closed the connection (close(true)).
template <typename H>
void the_stream_end_reason_tells_a_clean_end_from_a_reset_and_a_close() {
    const std::size_t before = H::open_descriptors();
    {
        H h;
        error_log errors;
        std::vector<std::error_code> reasons;
        std::vector<std::string> got;
        auto s = h.create_sock(
            loopback(), call_options(),
            [&](address, stream& st) -> task<> {
                std::array<char, 64> buffer{};
                std::string all;
                // Bounded by the stream: every turn reads a byte or ends it.
                while (const std::size_t n = co_await st.read_some(buffer))
                    all.append(buffer.data(), n);
                got.push_back(all);
                reasons.push_back(st.end_reason());
            },
            errors.hooks());
        {
            peer orderly(s.listening_on_address());
            orderly.send("bye");
            orderly.shutdown_write();
            CHECK(h.run_until([&] { return reasons.size() == 1; }, 2s));
        }
        {
            peer abrupt(s.listening_on_address());
            abrupt.send("x");
            CHECK(h.run_until([&] { return s.stats().handlers_started == 2; }, 2s));
            static_cast<void>(h.run_until([] { return false; }, 20ms));
            abrupt.reset();
            CHECK(h.run_until([&] { return reasons.size() == 2; }, 2s));
        }
        peer closed(s.listening_on_address());
        CHECK(h.run_until([&] { return s.stats().handlers_started == 3; }, 2s));
        CHECK(h.close_all(s));
        REQUIRE(reasons.size() == 3);
        CHECK(got[0] == "bye");
        CHECK_FALSE(reasons[0]);
        CHECK(reasons[1] == std::errc::connection_reset);
        CHECK(reasons[2] == std::errc::operation_canceled);
        CHECK(closed.ended());
        CHECK(s.stats().handler_ok == 3);
        CHECK(errors.entries.empty());
        closed.close();
        CHECK(h.wound_down());
    }
    CHECK(H::open_descriptors() == before);
}

}  // namespace berth::test
