#include "berth/sim/line_protocol.hpp"

#include <charconv>
#include <stdexcept>
#include <string>

#include "berth/sim/world.hpp"

namespace berth::sim {

namespace {

constexpr time_ns sleep_ms_max = 60'000;

}  // namespace

time_ns sleep_request_ms(std::string_view line) {
    constexpr std::string_view prefix = "sleep ";
    if (line.substr(0, prefix.size()) != prefix) return -1;
    const std::string_view number = line.substr(prefix.size());
    time_ns ms = 0;
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), ms);
    if (error != std::errc() || end != number.data() + number.size() || ms < 0 ||
        ms > sleep_ms_max) {
        return -1;
    }
    return ms;
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
