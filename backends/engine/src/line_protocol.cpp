// The line protocol's handlers (berth/line_protocol.hpp), written once with the
// portable API: the echo server, the conformance scenarios, the simulator's swarm
// and fuzzer and the benchmarks all run exactly this code on their backend.
#include "berth/line_protocol.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

#include "berth/line_command.hpp"

namespace berth {

namespace {

// The answer to "read N": the bytes on one line after their count.
std::string read_answer(std::string_view bytes) {
    return "got " + std::to_string(bytes.size()) + ":" + std::string(bytes) + "\n";
}

// A line at least this long is echoed in two writes rather than copied first.
constexpr std::size_t copy_bytes_max = 1024;

std::string_view flood_chunk() {
    static const std::string chunk(flood_chunk_bytes, 'x');
    return chunk;
}

}  // namespace

task<> serve_line_protocol(address /*peer*/, reader& r, writer& w) {
    std::string bytes;
    std::string reply;  // kept: its memory serves every line
    // Bounded by the stream: every turn consumes a line or ends it.
    for (;;) {
        const std::optional<std::string_view> line = co_await r.read_line_view();
        if (!line) co_return;  // the peer went away: a normal end
        const line_command command = parse_line_command(*line);
        switch (command.kind) {
            case line_command_kind::echo: break;
            case line_command_kind::fail: throw std::runtime_error(fail_requested);
            case line_command_kind::quit: w.write("bye\n"); co_return;
            case line_command_kind::flood: {
                // Each chunk reaches the kernel before the next is written: the
                // writer never holds more than a chunk, however long the flood, and
                // a chunk never more than the writer may hold.
                const std::uint64_t chunk_bytes =
                    std::min<std::uint64_t>(flood_chunk_bytes, w.buffer_limit_bytes());
                for (std::uint64_t left = command.amount; left > 0;) {
                    const std::size_t n = std::min(left, chunk_bytes);
                    w.write(flood_chunk().substr(0, n));
                    left -= n;
                    if (!co_await w.flushed()) co_return;
                }
                continue;
            }
            case line_command_kind::sleep:
                reply.assign(*line).push_back('\n');
                co_await sleep_for(std::chrono::milliseconds(command.amount));
                w.write(reply);
                continue;
            case line_command_kind::read:
                bytes.resize(command.amount);
                if (co_await r.read_exactly(bytes) < bytes.size()) co_return;  // the peer left
                w.write(read_answer(bytes));
                continue;
        }
        if (line->size() >= copy_bytes_max) {
            // Straight from the reader's buffer: one copy of a long line fewer, for
            // one more report to the writer's books.
            w.write(*line);
            w.write("\n");
            continue;
        }
        reply.assign(*line).push_back('\n');
        w.write(reply);
    }
}

task<> serve_line_protocol(address /*peer*/, stream& s) {
    reader r(s);
    std::string bytes;
    std::string reply;
    for (;;) {
        const std::optional<std::string_view> line = co_await r.read_line_view();
        if (!line) co_return;
        const line_command command = parse_line_command(*line);
        switch (command.kind) {
            case line_command_kind::echo: break;
            case line_command_kind::fail: throw std::runtime_error(fail_requested);
            case line_command_kind::quit: static_cast<void>(co_await s.write("bye\n")); co_return;
            case line_command_kind::flood:
                for (std::uint64_t left = command.amount; left > 0;) {
                    const std::size_t n = std::min<std::uint64_t>(left, flood_chunk_bytes);
                    if (co_await s.write(flood_chunk().substr(0, n))) co_return;
                    left -= n;
                }
                continue;
            case line_command_kind::sleep:
                reply.assign(*line).push_back('\n');
                co_await sleep_for(std::chrono::milliseconds(command.amount));
                if (co_await s.write(reply)) co_return;
                continue;
            case line_command_kind::read:
                bytes.resize(command.amount);
                if (co_await r.read_exactly(bytes) < bytes.size()) co_return;
                if (co_await s.write(read_answer(bytes))) co_return;
                continue;
        }
        reply.assign(*line).push_back('\n');
        if (co_await s.write(reply)) co_return;  // the peer went away
    }
}

reader_writer_handler line_protocol_handler() {
    return [](address peer, reader& r, writer& w) { return serve_line_protocol(peer, r, w); };
}

stream_handler line_protocol_sock_handler() {
    return [](address peer, stream& s) { return serve_line_protocol(peer, s); };
}

}  // namespace berth
