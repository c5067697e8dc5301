#include "berth/line_command.hpp"

#include <charconv>
#include <system_error>

namespace berth {

namespace {

// The number after `prefix`, if `line` is exactly the prefix and a number in [0, max].
std::int64_t request(std::string_view line, std::string_view prefix, std::int64_t max) {
    if (line.substr(0, prefix.size()) != prefix) return -1;
    const std::string_view number = line.substr(prefix.size());
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (error != std::errc() || end != number.data() + number.size() || value < 0 || value > max) {
        return -1;
    }
    return value;
}

}  // namespace

std::int64_t sleep_request_ms(std::string_view line) {
    return request(line, "sleep ", sleep_ms_max);
}

std::int64_t flood_request_bytes(std::string_view line) {
    return request(line, "flood ", static_cast<std::int64_t>(flood_bytes_max));
}

std::int64_t read_request_bytes(std::string_view line) {
    const std::int64_t bytes = request(line, "read ", static_cast<std::int64_t>(read_bytes_max));
    return bytes == 0 ? -1 : bytes;  // reading nothing is no request
}

// Most lines are echoed: one look at the first byte sends them on their way, and
// only a line that could be a command is compared with it.
line_command parse_line_command(std::string_view line) {
    const line_command echo{line_command_kind::echo, 0};
    if (line.empty()) return echo;
    switch (line.front()) {
        case 'f':
            if (line == "fail") return {line_command_kind::fail, 0};
            if (const std::int64_t bytes = flood_request_bytes(line); bytes >= 0) {
                return {line_command_kind::flood, static_cast<std::uint64_t>(bytes)};
            }
            return echo;
        case 'q': return line == "quit" ? line_command{line_command_kind::quit, 0} : echo;
        case 's':
            if (const std::int64_t ms = sleep_request_ms(line); ms >= 0) {
                return {line_command_kind::sleep, static_cast<std::uint64_t>(ms)};
            }
            return echo;
        case 'r':
            if (const std::int64_t bytes = read_request_bytes(line); bytes >= 0) {
                return {line_command_kind::read, static_cast<std::uint64_t>(bytes)};
            }
            return echo;
        default: return echo;
    }
}

}  // namespace berth
