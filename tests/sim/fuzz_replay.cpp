// The pieces of a replay program (berth/sim/fuzz_replay.hpp): which files a command
// line names, in which order, and how an input is read or refused.
#include "berth/sim/fuzz_replay.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

#include <doctest/doctest.h>

namespace {

namespace fs = std::filesystem;

/// A scratch folder of its own, removed at the end of the test.
struct scratch_dir {
    fs::path path = fs::temp_directory_path() / ("berth-fuzz-replay-" + std::to_string(::getpid()));
    scratch_dir() { fs::create_directories(path); }
    ~scratch_dir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;

    fs::path write(const std::string& name, const std::string& bytes) const {
        const fs::path file = path / name;
        std::ofstream(file, std::ios::binary) << bytes;
        return file;
    }
};

std::string message_of(const std::function<void()>& call) {
    try {
        call();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(nothing thrown)";
}

}  // namespace

TEST_CASE(
    "fuzz_replay_inputs lists a folder's files sorted, skips its README, and keeps files named") {
    const scratch_dir dir;
    const fs::path corpus = dir.path / "corpus";
    fs::create_directories(corpus / "nested");
    static_cast<void>(dir.write("corpus/b", "2"));
    static_cast<void>(dir.write("corpus/a", "1"));
    static_cast<void>(dir.write("corpus/README", "what this corpus is"));
    static_cast<void>(dir.write("corpus/nested/c", "3"));  // not an input: one level only
    const fs::path crash = dir.write("crash-1", "x");

    const std::vector<fs::path> inputs = berth::sim::fuzz_replay_inputs({crash, corpus});
    const std::vector<fs::path> expected = {corpus / "a", corpus / "b", crash};
    CHECK(inputs == expected);
    CHECK(berth::sim::fuzz_replay_inputs({dir.path / "corpus" / "nested"}).size() == 1);
}

TEST_CASE("fuzz_replay_inputs refuses a path that is neither a file nor a folder, naming it") {
    const scratch_dir dir;
    const fs::path missing = dir.path / "no-such-input";
    CHECK(message_of([&] { static_cast<void>(berth::sim::fuzz_replay_inputs({missing})); }) ==
          "'" + missing.string() + "': no such file or directory");
    CHECK_THROWS_AS(static_cast<void>(berth::sim::fuzz_replay_inputs({missing})),
                    std::invalid_argument);
}

TEST_CASE("read_fuzz_input returns a file's bytes exactly, NUL and high bytes included") {
    const scratch_dir dir;
    const std::string bytes("a\0\xff\n", 4);
    const fs::path file = dir.write("input", bytes);
    const std::vector<std::uint8_t> read = berth::sim::read_fuzz_input(file);
    CHECK(read == std::vector<std::uint8_t>{'a', 0, 0xff, '\n'});
}

TEST_CASE("read_fuzz_input refuses a file over 1 MiB and a missing file, naming each") {
    const scratch_dir dir;
    const fs::path large =
        dir.write("large", std::string(berth::sim::fuzz_input_bytes_max + 1, 'x'));
    CHECK(message_of([&] { static_cast<void>(berth::sim::read_fuzz_input(large)); }) ==
          "'" + large.string() + "': larger than 1048576 bytes");
    const fs::path at_limit =
        dir.write("at-limit", std::string(berth::sim::fuzz_input_bytes_max, 'x'));
    CHECK(berth::sim::read_fuzz_input(at_limit).size() == berth::sim::fuzz_input_bytes_max);
    const fs::path missing = dir.path / "gone";
    CHECK(message_of([&] { static_cast<void>(berth::sim::read_fuzz_input(missing)); }) ==
          "'" + missing.string() + "': cannot be read");
}
