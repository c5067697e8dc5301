// Cost of the sans-IO core per connection: one full accept-handler-close cycle
// (readable, accept, batch_done, start_handler, handler_returned, close_socket,
// socket_closed, release_connection), driven the way a backend drives it.
//
// Reported per benchmark (see README.md for how to read them):
//   cycle_time        seconds per connection cycle (printed with an SI prefix: 61n = 61 ns)
//   event_time        seconds per event handed to the core
//   events_per_cycle  events the driver handed to the core per cycle
//   allocs_per_cycle  heap allocations per cycle in steady state; must be 0
//   items_per_second  cycles per second
#include <cstdint>

#include <benchmark/benchmark.h>

#include "alloc_counter.hpp"
#include "cycle_driver.hpp"

namespace {

using berth::bench::cycle_driver;

// Enough batches for the slot table, the free list and the caches to reach the
// state they keep from then on; allocations before this point are not counted.
constexpr int warm_up_batches = 4096;

void core_cycle(benchmark::State& state) {
    const auto batch_size = static_cast<std::uint32_t>(state.range(0));
    cycle_driver driver(batch_size);
    for (int i = 0; i < warm_up_batches; ++i) {
        if (!driver.run_batch()) break;
    }
    if (driver.failure() != nullptr) {
        state.SkipWithError(driver.failure());
        return;
    }

    const std::uint64_t cycles_before = driver.cycles();
    const std::uint64_t events_before = driver.events();
    const std::uint64_t allocations_before = berth::bench::allocations();
    for (auto _ : state) {
        if (!driver.run_batch()) {
            state.SkipWithError(driver.failure());
            break;
        }
    }
    const std::uint64_t allocations = berth::bench::allocations() - allocations_before;
    const auto cycles = static_cast<double>(driver.cycles() - cycles_before);
    const auto events = static_cast<double>(driver.events() - events_before);

    if (const char* broken = driver.server().check_invariant()) {
        state.SkipWithError(broken);
        return;
    }
    if (cycles == 0) return;
    state.SetItemsProcessed(static_cast<std::int64_t>(driver.cycles() - cycles_before));
    using counter = benchmark::Counter;
    state.counters["cycle_time"] = counter(cycles, counter::kIsRate | counter::kInvert);
    state.counters["event_time"] = counter(events, counter::kIsRate | counter::kInvert);
    state.counters["events_per_cycle"] = counter(events / cycles);
    state.counters["allocs_per_cycle"] = counter(static_cast<double>(allocations) / cycles);
}

// Batch 1: max_accepts_per_batch 1, one client per readability report.
// Batch 16: max_accepts_per_batch 16, sixteen clients per readability report.
BENCHMARK(core_cycle)->ArgName("batch")->Arg(1)->Arg(16);

}  // namespace

BENCHMARK_MAIN();
