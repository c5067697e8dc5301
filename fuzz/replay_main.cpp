// Runs every file of the given corpus directories (or the given files) through the
// fuzz target once, without libFuzzer: gcc builds check the committed corpus this
// way. Then it checks that the corpus, taken together, made the core emit every
// action kind, notice kind, policy decision, a shed batch and every refusal;
// it fails naming what is missing.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "coverage.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

// Corpus files are small; anything bigger is a mistake, not an input.
constexpr std::uintmax_t input_bytes_max = 1U << 20;

bool run_file(const std::filesystem::path& path) {
    if (std::filesystem::file_size(path) > input_bytes_max) {
        std::cerr << path << ": larger than " << input_bytes_max << " bytes\n";
        return false;
    }
    std::ifstream file(path, std::ios::binary);
    const std::vector<char> bytes{std::istreambuf_iterator<char>(file),
                                  std::istreambuf_iterator<char>()};
    std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
    LLVMFuzzerTestOneInput(data.data(), data.size());
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::filesystem::path> inputs;
    for (int i = 1; i < argc; ++i) {
        const std::filesystem::path arg(argv[i]);
        if (std::filesystem::is_directory(arg)) {
            for (const auto& entry : std::filesystem::directory_iterator(arg)) {
                if (entry.is_regular_file()) inputs.push_back(entry.path());
            }
        } else {
            inputs.push_back(arg);
        }
    }
    std::sort(inputs.begin(), inputs.end());
    if (inputs.empty()) {
        std::cerr << "usage: " << argv[0] << " <corpus dir or file>...: no input found\n";
        return 1;
    }
    for (const auto& path : inputs) {
        if (!run_file(path)) return 1;
    }
    std::cout << "replayed " << inputs.size() << " inputs; the core emitted:\n";
    berth::fuzz::seen().print(std::cout);
    const std::vector<std::string> missing = berth::fuzz::seen().missing();
    for (const std::string& what : missing)
        std::cout << "MISSING from the corpus: " << what << '\n';
    if (!missing.empty()) return 1;
    std::cout << "the corpus reaches every action kind\n";
    return 0;
}
