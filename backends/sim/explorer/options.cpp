#include "options.hpp"

#include <charconv>
#include <string_view>

namespace berth::sim::explorer {

const char* const usage =
    "usage: berth-sim [--seeds N] [--first S] [--hash] [--quiet]\n"
    "       berth-sim --seed S [--trace FILE.json] [--text FILE] [--hash]\n"
    "\n"
    "Runs berth's deterministic simulation: each seed picks the faults, the server's\n"
    "options, the clients and when close is called, then checks the server's rules\n"
    "after every step and that everything winds down once the server is closed.\n"
    "\n"
    "  --seeds N         explore N seeds (default 1), with a progress bar after 1 s\n"
    "  --first S         the first seed to explore (default 1)\n"
    "  --seed S          replay exactly seed S (the same as --first S --seeds 1)\n"
    "  --trace FILE.json write the run's trace in Chrome's Trace Event format\n"
    "                    (open it in https://ui.perfetto.dev or chrome://tracing);\n"
    "                    only with --seed\n"
    "  --text FILE       write the run's trace as text, one record a line; only with --seed\n"
    "  --hash            print \"SEED HASH\" for every seed (the trace's hash), to compare\n"
    "                    builds; see scripts/sim-determinism.sh\n"
    "  --quiet           no progress bar\n"
    "  --help            this text\n"
    "\n"
    "Exit status: 0 when every seed passed, 1 when one failed, 2 for a bad command line.\n";

namespace {

bool parse_number(std::string_view text, std::uint64_t& out) {
    if (text.empty()) return false;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::optional<options> parse(int argc, char** argv, std::string& error) {
    options o;
    bool seeds_given = false;
    bool first_given = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        const auto value = [&](std::string_view& out) {
            if (i + 1 >= argc) {
                error = std::string(flag) + " needs a value";
                return false;
            }
            out = argv[++i];
            return true;
        };
        const auto number = [&](std::uint64_t& out) {
            std::string_view text;
            if (!value(text)) return false;
            if (!parse_number(text, out)) {
                error = std::string(flag) + " wants a non-negative integer, got '" +
                        std::string(text) + "'";
                return false;
            }
            return true;
        };
        std::string_view text;
        if (flag == "--help" || flag == "-h") {
            o.help = true;
        } else if (flag == "--seeds") {
            if (!number(o.seed_count)) return std::nullopt;
            if (o.seed_count == 0) {
                error = "--seeds must be at least 1";
                return std::nullopt;
            }
            seeds_given = true;
        } else if (flag == "--first") {
            if (!number(o.first_seed)) return std::nullopt;
            first_given = true;
        } else if (flag == "--seed") {
            if (!number(o.first_seed)) return std::nullopt;
            o.single_seed = true;
        } else if (flag == "--trace") {
            if (!value(text)) return std::nullopt;
            o.trace_path = text;
        } else if (flag == "--text") {
            if (!value(text)) return std::nullopt;
            o.text_path = text;
        } else if (flag == "--hash") {
            o.hash = true;
        } else if (flag == "--quiet") {
            o.quiet = true;
        } else {
            error = "unknown flag '" + std::string(flag) + "'";
            return std::nullopt;
        }
    }
    if (o.single_seed && (seeds_given || first_given)) {
        error = "--seed replays one seed: it cannot be combined with --seeds or --first";
        return std::nullopt;
    }
    if ((!o.trace_path.empty() || !o.text_path.empty()) && !o.single_seed) {
        error = "--trace and --text need --seed S (one run)";
        return std::nullopt;
    }
    if (o.first_seed + o.seed_count < o.first_seed) {
        error = "--first + --seeds overflows 64 bits";
        return std::nullopt;
    }
    return o;
}

}  // namespace berth::sim::explorer
