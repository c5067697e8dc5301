// The command line of berth-sim.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace berth::sim::explorer {

struct options {
    std::uint64_t first_seed = 1;
    std::uint64_t seed_count = 1;
    bool single_seed = false;  // --seed: replay one seed
    std::string trace_path;    // --trace FILE.json
    std::string text_path;     // --text FILE
    bool hash = false;         // --hash: one "seed hash" line per seed
    bool quiet = false;        // no progress bar
    bool help = false;
};

/// Parses argv. On a bad flag or value, returns nothing and fills `error`.
std::optional<options> parse(int argc, char** argv, std::string& error);

extern const char* const usage;

}  // namespace berth::sim::explorer
