/// @file
/// Replaying a fuzz target's inputs without libFuzzer: the part of a replay program
/// that every target shares. A replay runs each input through the same function as
/// LLVMFuzzerTestOneInput (run_fuzzed_world), with any compiler, so a committed
/// corpus is a regression test in every build and a crash file can be replayed under
/// a debugger or with a trace (fuzz/sim_world_replay.cpp and
/// examples/sim_testing/fuzz_replay_main.cpp are two such programs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

namespace berth::sim {

/// The largest input a replay reads, in bytes: libFuzzer's inputs are far smaller
/// (its default -max_len is 4096), so a larger file is not an input.
inline constexpr std::uintmax_t fuzz_input_bytes_max = std::uintmax_t{1} << 20;

/// The inputs of a replay, from its command line's paths: each file named, and each
/// regular file directly inside each directory named (except a file named README,
/// which a corpus folder may hold to say what it is), sorted by path so that every
/// run replays them in the same order.
/// @param paths files and directories.
/// @return the input files, sorted; empty if `paths` names only empty directories.
/// @throws std::invalid_argument "'<path>': no such file or directory" for a path
///   that is neither a regular file nor a directory.
[[nodiscard]] std::vector<std::filesystem::path> fuzz_replay_inputs(
    const std::vector<std::filesystem::path>& paths);

/// One input of a replay, read whole.
/// @param path a regular file.
/// @return its bytes.
/// @throws std::runtime_error "'<path>': larger than 1048576 bytes" past
///   fuzz_input_bytes_max, or "'<path>': cannot be read" when it cannot be opened or
///   read.
[[nodiscard]] std::vector<std::uint8_t> read_fuzz_input(const std::filesystem::path& path);

}  // namespace berth::sim
