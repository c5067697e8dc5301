// berth-sim: explores seeds of the deterministic simulation, or replays one.
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <malloc.h>
#include <unistd.h>

#include "berth/sim/swarm.hpp"
#include "options.hpp"
#include "summary.hpp"

namespace explorer = berth::sim::explorer;

namespace {

int write_traces(const explorer::options& o, const berth::sim::run_result& r) {
    if (!o.trace_path.empty()) {
        std::ofstream out(o.trace_path);
        r.trace.write_chrome_json(out, o.first_seed);
        if (!out) {
            std::cerr << "berth-sim: cannot write " << o.trace_path << '\n';
            return 1;
        }
        std::cout << "trace written to " << o.trace_path << " (" << r.trace.records().size()
                  << " records; open it in https://ui.perfetto.dev)\n";
    }
    if (!o.text_path.empty()) {
        std::ofstream out(o.text_path);
        r.trace.write_text(out);
        if (!out) {
            std::cerr << "berth-sim: cannot write " << o.text_path << '\n';
            return 1;
        }
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string error;
    const std::optional<explorer::options> parsed = explorer::parse(argc, argv, error);
    if (!parsed) {
        std::cerr << "berth-sim: " << error << "\n\n" << explorer::usage;
        return 2;
    }
    const explorer::options& o = *parsed;
    // Each run allocates and frees its buffers; without this glibc hands the memory
    // back to the kernel after every run and page-faults it in again for the next.
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    if (o.help) {
        std::cout << explorer::usage;
        return 0;
    }
    if (!o.hash) {
        std::cout << "berth-sim: seeds " << o.first_seed << " to "
                  << o.first_seed + o.seed_count - 1 << " (" << o.seed_count << " runs)\n";
    }
    berth::sim::run_options run_opts;
    run_opts.record = !o.trace_path.empty() || !o.text_path.empty();
    berth::sim::run_stats total;
    std::uint64_t failures = 0;
    explorer::progress bar(o.seed_count, !o.quiet && !o.hash && isatty(STDERR_FILENO) != 0);
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    for (std::uint64_t i = 0; i < o.seed_count; ++i) {
        const std::uint64_t seed = o.first_seed + i;
        const berth::sim::run_result r = berth::sim::run_swarm(seed, run_opts);
        total.add(r.stats);
        if (o.hash) std::cout << seed << ' ' << std::hex << r.trace_hash << std::dec << '\n';
        if (!r.ok) {
            ++failures;
            bar.finish();
            std::cout << "FAILED seed " << seed << ": " << r.failure << "\n"
                      << "replay: berth-sim --seed " << seed << " --trace seed-" << seed
                      << ".json\n";
        }
        if (run_opts.record && write_traces(o, r) != 0) return 1;
        bar.update(i + 1);
    }
    bar.finish();
    const auto elapsed = std::chrono::steady_clock::now() - start;
    const auto cpu =
        std::chrono::nanoseconds((std::clock() - cpu_start) * (1'000'000'000 / CLOCKS_PER_SEC));
    if (!o.hash) {
        explorer::print_summary(std::cout, o.seed_count, failures, total,
                                std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed), cpu);
        std::cout << (failures == 0 ? "all seeds passed\n" : "some seeds FAILED\n");
    }
    return failures == 0 ? 0 : 1;
}
