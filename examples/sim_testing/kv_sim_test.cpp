// berth-sim-testing-example: the key-value handler (kv_store.hpp) tested in the
// simulated world over many seeds, with faults (kv_harness.hpp), and the proof
// that the harness can fail: the handler's buggy variant is caught.
//
//   berth-sim-testing-example                  # the doctest cases, seeds 1..200
//   berth-sim-testing-example --seeds 5000     # the same over seeds 1..5000
//   berth-sim-testing-example --seed 17        # one seed: its transcript and verdict
//   berth-sim-testing-example --seed 17 --buggy
//
// A failing seed prints the one command line that replays it.
#define DOCTEST_CONFIG_IMPLEMENT
#include <charconv>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "kv_harness.hpp"

namespace {

using berth::examples::kv::handler_kind;
using berth::examples::kv::run_seed;
using berth::examples::kv::seed_result;

std::string program = "berth-sim-testing-example";
std::uint64_t seeds = 200;

std::string reproduce(const seed_result& r, handler_kind kind) {
    return program + " --seed " + std::to_string(r.seed) +
           (kind == handler_kind::buggy ? " --buggy" : "");
}

std::string report(const seed_result& r, handler_kind kind) {
    std::string text = "seed " + std::to_string(r.seed) + " failed:\n";
    for (const std::string& v : r.violations)
        text += "  " + v + "\n";
    return text + "reproduce: " + reproduce(r, kind) + "\n";
}

struct sweep {
    std::vector<seed_result> failures;
    std::uint64_t clients = 0;
    std::uint64_t acknowledged_sets = 0;
    std::uint64_t client_resets = 0;
    std::uint64_t aborted_connections = 0;
};

sweep run_seeds(handler_kind kind) {
    sweep s;
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
        seed_result r = run_seed(seed, kind);
        s.clients += r.clients;
        s.acknowledged_sets += r.acknowledged_sets;
        s.client_resets += r.client_resets;
        s.aborted_connections += r.aborted_connections;
        if (!r.ok()) s.failures.push_back(std::move(r));
    }
    return s;
}

}  // namespace

TEST_CASE("every acknowledged set stays visible and no reply is lost, over seeded faults") {
    const auto started = std::chrono::steady_clock::now();
    const sweep s = run_seeds(handler_kind::correct);
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    MESSAGE("seeds 1.." << seeds << " in " << elapsed.count() << " ms: " << s.clients
                        << " clients, " << s.acknowledged_sets << " acknowledged sets, "
                        << s.client_resets << " client resets, " << s.aborted_connections
                        << " connections cut by accept faults");
    for (const seed_result& r : s.failures)
        FAIL_CHECK(report(r, handler_kind::correct));
    // The faults must have happened, or the sweep proves less than it says.
    CHECK(s.client_resets > 0);
    CHECK(s.aborted_connections > 0);
    CHECK(s.acknowledged_sets > 0);
}

TEST_CASE("the seeded sweep catches the buggy handler's lost acknowledged sets, replayably") {
    const sweep s = run_seeds(handler_kind::buggy);
    REQUIRE_MESSAGE(!s.failures.empty(), "the harness did not find the write-behind bug");
    const seed_result& first = s.failures.front();
    MESSAGE(s.failures.size() << " of " << seeds << " seeds catch the bug; the first:\n"
                              << report(first, handler_kind::buggy));
    bool lost_set = false;
    for (const std::string& v : first.violations)
        lost_set = lost_set || v.find("was answered 'ok', but a later get") != std::string::npos;
    CHECK_MESSAGE(lost_set, report(first, handler_kind::buggy));
    // Deterministic: the seed replays to the same run.
    const seed_result again = run_seed(first.seed, handler_kind::buggy);
    CHECK(again.violations == first.violations);
    CHECK(again.transcript == first.transcript);
    // The same seed with the correct handler passes: the bug, not the harness, failed.
    CHECK(run_seed(first.seed, handler_kind::correct).ok());
}

TEST_CASE("a seed's run is a pure function of the seed") {
    for (std::uint64_t seed : {1U, 2U, 99U}) {
        const seed_result a = run_seed(seed, handler_kind::correct);
        const seed_result b = run_seed(seed, handler_kind::correct);
        CHECK(a.transcript == b.transcript);
        CHECK(a.acknowledged_sets == b.acknowledged_sets);
    }
    CHECK(run_seed(1, handler_kind::correct).transcript !=
          run_seed(2, handler_kind::correct).transcript);
}

namespace {

bool parse_count(std::string_view text, std::uint64_t& out) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return error == std::errc() && end == text.data() + text.size() && out >= 1;
}

}  // namespace

int main(int argc, char** argv) {
    program = argv[0];
    std::vector<char*> doctest_args{argv[0]};
    std::uint64_t one_seed = 0;
    handler_kind kind = handler_kind::correct;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg(argv[i]);
        if ((arg == "--seed" || arg == "--seeds") && i + 1 < argc) {
            std::uint64_t n = 0;
            if (!parse_count(argv[i + 1], n)) {
                std::cerr << program << ": " << arg << ": invalid value '" << argv[i + 1]
                          << "': expected an integer of at least 1\n";
                return 2;
            }
            (arg == "--seed" ? one_seed : seeds) = n;
            ++i;
        } else if (arg == "--buggy") {
            kind = handler_kind::buggy;
        } else {
            doctest_args.push_back(argv[i]);
        }
    }
    if (one_seed != 0) {
        const seed_result r = run_seed(one_seed, kind);
        std::cout << "seed " << one_seed << " with the "
                  << (kind == handler_kind::buggy ? "buggy" : "correct") << " handler:\n"
                  << r.transcript;
        if (r.ok()) {
            std::cout << "seed " << one_seed << ": every check held\n";
            return 0;
        }
        std::cout << report(r, kind);
        return 1;
    }
    if (kind == handler_kind::buggy) {
        std::cerr << program << ": --buggy: only with --seed N\n";
        return 2;
    }
    doctest::Context context(static_cast<int>(doctest_args.size()), doctest_args.data());
    return context.run();
}
