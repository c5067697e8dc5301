// The handler of the conformance scenarios and of swarm runs: a line protocol
// driven by the client, so that "a blocked handler", "finish" and "fail" are the
// client's choice and a harness stays the same for every backend. The real
// backends parse the same commands with berth/driver/line_command.hpp, which the
// simulator does not link (it comes with the POSIX layer).
//
//   any line   -> echoed back
//   quit       -> replies "bye", the handler finishes normally
//   fail       -> the handler fails with the error "fail requested"
//   sleep MS   -> the handler pauses MS milliseconds (at most 60000), then echoes
//   read N     -> the handler reads exactly N bytes (1 to 65536, newlines
//                 included: the reader's read_exactly in the create form) and
//                 answers "got N:<the bytes>"; the end of the stream first finishes it
//   (nothing)  -> the handler blocks reading; the end of the stream finishes it
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "berth/sim/server.hpp"

namespace berth::sim {

class world;

/// Milliseconds asked for by a "sleep MS" line, or -1 if the line is not one.
[[nodiscard]] time_ns sleep_request_ms(std::string_view line);
/// The most a "read N" line may ask for.
inline constexpr std::size_t read_bytes_max = 64 * 1024;
/// Bytes asked for by a "read N" line (N >= 1), or -1 if the line is not one.
[[nodiscard]] std::int64_t read_request_bytes(std::string_view line);

task<> serve_line_protocol(world& w, socket sock);
task<> serve_line_protocol(world& w, reader& r, writer& wr);

[[nodiscard]] sock_handler line_protocol_sock_handler(world& w);
[[nodiscard]] stream_handler line_protocol_stream_handler(world& w);

}  // namespace berth::sim
