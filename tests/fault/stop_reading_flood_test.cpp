// Clients that stop reading while the server floods them. The portable scenario
// (tests/posix/portable_scenarios.hpp) shows one flood that awaits flushed() held
// at the writer's limit; tests/echo/flood_isolation_test.cpp shows the same through
// berth-echo. This is what they leave out: many connections at once whose handlers
// write faster than their peers read and never wait. Each writer is cut off at
// buffer_limit_bytes (a writer_error for the policy, the socket closed, the slot
// free), the process's memory stays within the writers' limits, and a client that
// reads is served meanwhile.
#include "fault_support.hpp"

namespace berth::fault {
namespace {

constexpr std::uint32_t flooders = 16;
constexpr std::uint64_t limit_bytes = 256 * 1024;

// "flood" starts writing 64 KiB chunks, one every millisecond, without awaiting
// flushed(): far faster than a peer that reads nothing takes them. Any other line
// is echoed by the line protocol.
task<> flood_or_echo(address peer, reader& r, writer& w) {
    const std::optional<std::string> first = co_await r.read_line();
    if (first != "flood") {
        if (first) w.write(*first + "\n");
        co_await serve_line_protocol(peer, r, w);
        co_return;
    }
    const std::string chunk(64 * 1024, 'f');
    // Bounded: ten seconds of chunks at most; the writer's limit ends it long before.
    for (int i = 0; i < 10'000 && w.accepts_writes(); ++i) {
        w.write(chunk);
        co_await sleep_for(std::chrono::milliseconds(1));
    }
}

TEST_CASE(
    "clients that stop reading while their handlers flood them without waiting are cut "
    "off at buffer_limit_bytes, memory stays bounded and a reading client is served") {
    const std::size_t before = harness::open_descriptors();
    {
        harness h;
        core::options o = fault_options(flooders + 4);
        o.on_handler_error = core::error_policy::call;
        o.buffer_limit_bytes = limit_bytes;
        error_log errors;
        auto s = h.create(test::loopback(), o, flood_or_echo, errors.hooks());
        const closes_at_exit guard(s);
        const address at = s.listening_on_address();

        std::uint64_t in_use_max = 0;
        const auto sample = [&] { in_use_max = std::max(in_use_max, memory_in_use_bytes()); };
        const std::uint64_t in_use_before = memory_in_use_bytes();
        std::vector<std::unique_ptr<peer>> stalled;
        for (std::uint32_t i = 0; i < flooders; ++i) {
            stalled.push_back(std::make_unique<peer>(at, 64 * 1024));
            stalled.back()->send("flood\n");
        }
        REQUIRE(h.run_until([&] { return s.stats().handlers_started == flooders; }, 5s));

        // While the floods pile up, a client that reads is answered promptly.
        peer reading(at);
        const auto t0 = steady::now();
        reading.send("still here\n");
        std::optional<std::string> answer;
        CHECK(h.run_until(
            [&] {
                sample();
                answer = reading.take_line();
                return answer.has_value();
            },
            2s));
        const auto answer_time =
            std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0);
        CHECK(answer == "still here");
        CHECK(answer_time < 500ms);

        // Every flood is cut off by its writer's limit and its slot comes back.
        CHECK(h.run_until(
            [&] {
                sample();
                return s.stats().writer_failures == flooders && s.num_connections() == 1 &&
                       errors.entries.size() == flooders;
            },
            10s));
        sample();
        MESSAGE(backend_name, ": ", flooders, " floods cut off; memory in use grew by at most ",
                (in_use_max - std::min(in_use_max, in_use_before)) >> 10, " KiB; echo in ",
                answer_time.count(), " ms");
        CHECK(errors.entries.size() == flooders);
        for (const auto& e : errors.entries) {
            CHECK(e.is_writer_error);
            CHECK(e.what.rfind("writer buffer full: ", 0) == 0);
        }
        CHECK(s.stats().handler_errors == flooders);
        // The writers hold at most flooders x limit_bytes; the rest is the kernel's. A
        // writer without a limit would have held hundreds of MiB by now.
        CHECK(in_use_max < in_use_before + flooders * limit_bytes + (32ULL << 20));

        // The stalled clients find their connection closed once they read.
        for (auto& p : stalled) {
            p->discard_input();
            CHECK(h.run_until([&] { return p->ended(); }, 2s));
        }
        CHECK(round_trip(h, reading, "again") == "again");
        CHECK(h.close_all(s));
        CHECK(s.invariant());
        stalled.clear();
        reading.close();
        CHECK(h.wound_down());
    }
    CHECK(harness::open_descriptors() == before);
}

}  // namespace
}  // namespace berth::fault
