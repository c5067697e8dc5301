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

line_command parse_line_command(std::string_view line) {
    if (line == "fail") return {line_command_kind::fail, 0};
    if (line == "quit") return {line_command_kind::quit, 0};
    if (const std::int64_t bytes = flood_request_bytes(line); bytes >= 0) {
        return {line_command_kind::flood, static_cast<std::uint64_t>(bytes)};
    }
    if (const std::int64_t ms = sleep_request_ms(line); ms >= 0) {
        return {line_command_kind::sleep, static_cast<std::uint64_t>(ms)};
    }
    if (const std::int64_t bytes = read_request_bytes(line); bytes >= 0) {
        return {line_command_kind::read, static_cast<std::uint64_t>(bytes)};
    }
    return {line_command_kind::echo, 0};
}

}  // namespace berth
