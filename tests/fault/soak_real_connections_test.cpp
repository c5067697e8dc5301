// The real soak (docs/reliability.md): 100,000 connections through one server, in
// batches of 100 clients at once, each asking for an echo and leaving. The
// process's descriptor count and resident set are sampled after a warm-up, half
// way and at the end: they must stay where they were. Label `soak`: minutes, not
// for CI.
#include "fault_support.hpp"

namespace berth::fault {
namespace {

constexpr std::uint64_t total = 100'000;
constexpr std::uint64_t batch = 100;
constexpr std::uint64_t warm_up = 1'000;

struct sample {
    std::uint64_t connections = 0;
    std::size_t descriptors = 0;
    std::uint64_t resident = 0;
    std::chrono::milliseconds at{0};
};

TEST_CASE("100,000 real connections leave the descriptor count and the resident set steady") {
    const std::size_t before = harness::open_descriptors();
    {
        harness h;
        core::options o = fault_options(256, 64);
        o.backlog = 512;
        error_log errors;
        auto s = h.create(test::loopback(), o, line_protocol_handler(), errors.hooks());
        const closes_at_exit guard(s);
        const address at = s.listening_on_address();
        const auto t0 = steady::now();
        std::vector<sample> samples;
        const auto take_sample = [&](std::uint64_t done) {
            samples.push_back(
                {done, harness::open_descriptors(), test::resident_bytes(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0)});
        };
        std::uint64_t unserved = 0;
        for (std::uint64_t done = 0; done < total; done += batch) {
            if (done == warm_up || done == total / 2) take_sample(done);
            std::vector<std::unique_ptr<pending_client>> clients;
            for (std::uint64_t i = 0; i < batch; ++i)
                clients.push_back(std::make_unique<pending_client>(at, "ping\nquit\n"));
            const bool all = run_with_clients(
                h, clients,
                [&] {
                    return std::all_of(clients.begin(), clients.end(), [](const auto& c) {
                        return c->ended() && c->received() == "ping\nbye\n";
                    });
                },
                10s);
            if (!all) {
                for (const auto& c : clients)
                    unserved += c->received() == "ping\nbye\n" ? 0U : 1U;
            }
            clients.clear();
            if (!h.run_until([&] { return s.num_connections() == 0; }, 5s)) break;
        }
        take_sample(total);
        for (const auto& x : samples) {
            MESSAGE(backend_name, ": after ", x.connections, " connections (", x.at.count(),
                    " ms): ", x.descriptors, " descriptors, resident ", x.resident >> 10, " KiB");
        }
        CHECK(unserved == 0);
        REQUIRE(samples.size() == 3);
        CHECK(samples[1].descriptors == samples[0].descriptors);
        CHECK(samples[2].descriptors == samples[0].descriptors);
        // Steady: no growth with the connections served, beyond allocator noise.
        CHECK(samples[2].resident < samples[0].resident + (4ULL << 20));
        const core::statistics& st = s.stats();
        CHECK(st.accepted == total);
        CHECK(st.handler_ok == total);
        CHECK(st.handler_errors == 0);
        CHECK(errors.entries.empty());
        CHECK(h.close_all(s));
        CHECK(s.invariant());
        CHECK(h.wound_down());
    }
    CHECK(harness::open_descriptors() == before);
}

}  // namespace
}  // namespace berth::fault
