#include "berth/sim/fuzz_replay.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace berth::sim {

namespace fs = std::filesystem;

std::vector<fs::path> fuzz_replay_inputs(const std::vector<fs::path>& paths) {
    std::vector<fs::path> inputs;
    for (const fs::path& path : paths) {
        std::error_code error;
        if (fs::is_directory(path, error)) {
            for (const auto& entry : fs::directory_iterator(path)) {
                if (entry.is_regular_file() && entry.path().filename() != "README") {
                    inputs.push_back(entry.path());
                }
            }
        } else if (fs::is_regular_file(path, error)) {
            inputs.push_back(path);
        } else {
            throw std::invalid_argument("'" + path.string() + "': no such file or directory");
        }
    }
    std::sort(inputs.begin(), inputs.end());
    return inputs;
}

std::vector<std::uint8_t> read_fuzz_input(const fs::path& path) {
    std::error_code error;
    const std::uintmax_t size = fs::file_size(path, error);
    if (error) throw std::runtime_error("'" + path.string() + "': cannot be read");
    if (size > fuzz_input_bytes_max) {
        throw std::runtime_error("'" + path.string() + "': larger than " +
                                 std::to_string(fuzz_input_bytes_max) + " bytes");
    }
    std::ifstream file(path, std::ios::binary);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
    const auto wanted = static_cast<std::streamsize>(bytes.size());
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): bytes as chars, for read
    file.read(reinterpret_cast<char*>(bytes.data()), wanted);
    if (!file || file.gcount() != wanted) {
        throw std::runtime_error("'" + path.string() + "': cannot be read");
    }
    return bytes;
}

}  // namespace berth::sim
