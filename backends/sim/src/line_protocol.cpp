#include "berth/sim/line_protocol.hpp"

#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "berth/sim/world.hpp"

namespace berth::sim {

namespace {

constexpr time_ns sleep_ms_max = 60'000;

// The number after `prefix`, if `line` is exactly the prefix and a number in [min, max].
std::int64_t request(std::string_view line, std::string_view prefix, std::int64_t min,
                     std::int64_t max) {
    if (line.substr(0, prefix.size()) != prefix) return -1;
    const std::string_view number = line.substr(prefix.size());
    std::int64_t value = 0;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (error != std::errc() || end != number.data() + number.size() || value < min ||
        value > max) {
        return -1;
    }
    return value;
}

// The answer to "read N": the bytes on one line after their count.
std::string read_answer(std::string_view bytes) {
    return "got " + std::to_string(bytes.size()) + ":" + std::string(bytes) + "\n";
}

}  // namespace

time_ns sleep_request_ms(std::string_view line) {
    return request(line, "sleep ", 0, sleep_ms_max);
}

std::int64_t read_request_bytes(std::string_view line) {
    return request(line, "read ", 1, static_cast<std::int64_t>(read_bytes_max));
}

task<> serve_line_protocol(world& w, socket sock) {
    // Bounded by the stream: every turn consumes a line or ends it.
    for (;;) {
        line_result in = co_await sock.read_line();
        if (!in.line) co_return;  // the peer went away: a normal end
        const std::string& line = *in.line;
        if (line == "fail") throw std::runtime_error("fail requested");
        if (line == "quit") {
            static_cast<void>(co_await sock.write_all("bye\n"));
            co_return;
        }
        if (const std::int64_t wanted = read_request_bytes(line); wanted > 0) {
            // Bounded by the stream: every turn takes bytes or ends it.
            std::string bytes;
            while (bytes.size() < static_cast<std::size_t>(wanted)) {
                read_result part =
                    co_await sock.read_some(static_cast<std::size_t>(wanted) - bytes.size());
                if (part.data.empty()) co_return;  // the peer went away first
                bytes += part.data;
            }
            if (co_await sock.write_all(read_answer(bytes)) != 0) co_return;
            continue;
        }
        if (const time_ns ms = sleep_request_ms(line); ms >= 0) {
            co_await w.sleep_for(ms * core::ns_per_ms);
        }
        if (co_await sock.write_all(line + "\n") != 0) co_return;
    }
}

task<> serve_line_protocol(world& w, reader& r, writer& wr) {
    for (;;) {
        line_result in = co_await r.read_line();
        if (!in.line) co_return;
        const std::string& line = *in.line;
        if (line == "fail") throw std::runtime_error("fail requested");
        if (line == "quit") {
            wr.write("bye\n");
            co_return;
        }
        if (const std::int64_t wanted = read_request_bytes(line); wanted > 0) {
            const exact_result bytes = co_await r.read_exactly(static_cast<std::size_t>(wanted));
            if (!bytes.bytes) co_return;  // the peer went away first
            wr.write(read_answer(*bytes.bytes));
            continue;
        }
        if (const time_ns ms = sleep_request_ms(line); ms >= 0) {
            co_await w.sleep_for(ms * core::ns_per_ms);
        }
        wr.write(line);
        wr.write("\n");
    }
}

sock_handler line_protocol_sock_handler(world& w) {
    return [&w](std::string, socket sock) { return serve_line_protocol(w, sock); };
}

stream_handler line_protocol_stream_handler(world& w) {
    return [&w](std::string, reader& r, writer& wr) { return serve_line_protocol(w, r, wr); };
}

}  // namespace berth::sim
