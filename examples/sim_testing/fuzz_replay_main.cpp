// Replays the key-value fuzz target's corpus without libFuzzer (any compiler; every
// build runs it as the CTest test sim_testing/fuzz_corpus_replay): each file goes
// through the same target as fuzz_handler.cpp's LLVMFuzzerTestOneInput, and any
// failure fails the replay, naming the file, what failed and the input's plan. A
// directory's inputs, taken together, must still reach acknowledged sets, gets with
// and without a value, error replies and well-behaved clients.
//
//   berth_sim_testing_fuzz_replay examples/sim_testing/corpus   # the CTest test
//   berth_sim_testing_fuzz_replay crash-1234                    # replay one crash
//   berth_sim_testing_fuzz_replay --trace t.json crash-1234     # its Chrome trace
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "berth/sim/fuzz_replay.hpp"
#include "fuzz_handler.hpp"

namespace {

namespace fs = std::filesystem;
using berth::examples::kv::fuzz_reach;

struct reach {
    const char* what;
    std::uint64_t fuzz_reach::*count;
};
constexpr reach required[] = {
    {"an acknowledged set", &fuzz_reach::sets_acknowledged},
    {"a get answered with a value", &fuzz_reach::gets_with_value},
    {"a get answered 'missing'", &fuzz_reach::gets_missing},
    {"an error reply", &fuzz_reach::errors},
    {"a well-behaved client", &fuzz_reach::well_behaved_clients},
};

// The replay; main turns its refusals into messages and exit codes.
int replay(int argc, char** argv) {
    std::vector<fs::path> paths;
    std::string trace_path;
    bool directory = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg(argv[i]);
        if (arg == "--trace" && i + 1 < argc) {
            trace_path = argv[++i];
            continue;
        }
        paths.emplace_back(arg);
        std::error_code error;
        directory = directory || fs::is_directory(paths.back(), error);
    }
    const std::vector<fs::path> inputs = berth::sim::fuzz_replay_inputs(paths);
    if (inputs.empty()) {
        std::cerr << "usage: " << argv[0] << " [--trace FILE] <corpus dir or file>...\n";
        return 2;
    }
    berth::sim::fuzz_run_options options;
    options.record_trace = !trace_path.empty();
    std::uint64_t failures = 0;
    for (const fs::path& path : inputs) {
        const std::vector<std::uint8_t> input = berth::sim::read_fuzz_input(path);
        const berth::sim::fuzz_result r = berth::examples::kv::run_kv_fuzz(input, options);
        if (!r.ok()) {
            ++failures;
            std::cout << "FAILED " << path.string() << ":\n";
            berth::sim::print_failure(std::cout, r);
        }
        if (!trace_path.empty()) {
            std::ofstream out(trace_path);
            r.trace.write_chrome_json(out, 0);
            std::cout << "trace of " << path.string() << " written to " << trace_path << '\n';
        }
    }
    const fuzz_reach& total = berth::examples::kv::fuzz_reached();
    std::cout << "replayed " << inputs.size() << " inputs\n";
    for (const reach& q : required)
        std::cout << "  " << q.what << ": " << total.*q.count << '\n';
    if (failures != 0) {
        std::cout << failures << " inputs FAILED\n";
        return 1;
    }
    if (!directory) return 0;  // a replay of chosen files, not the corpus
    bool complete = true;
    for (const reach& q : required) {
        if (total.*q.count == 0) {
            std::cout << "MISSING from the corpus: " << q.what << '\n';
            complete = false;
        }
    }
    return complete ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return replay(argc, argv);
    } catch (const std::invalid_argument& e) {  // a path that is not there: usage
        std::cerr << argv[0] << ": " << e.what() << '\n';
        return 2;
    } catch (const std::runtime_error& e) {  // an input that cannot be read
        std::cerr << argv[0] << ": " << e.what() << '\n';
        return 1;
    }
}
