// The handler of the conformance scenarios and of swarm runs: a line protocol
// driven by the client, so that "a blocked handler", "finish" and "fail" are the
// client's choice and a harness stays the same for every backend.
//
//   any line   -> echoed back
//   quit       -> replies "bye", the handler finishes normally
//   fail       -> the handler fails with the error "fail requested"
//   sleep MS   -> the handler pauses MS milliseconds (at most 60000), then echoes
//   (nothing)  -> the handler blocks reading; the end of the stream finishes it
#pragma once

#include <string_view>

#include "berth/sim/server.hpp"

namespace berth::sim {

class world;

/// Milliseconds asked for by a "sleep MS" line, or -1 if the line is not one.
[[nodiscard]] time_ns sleep_request_ms(std::string_view line);

task<> serve_line_protocol(world& w, socket sock);
task<> serve_line_protocol(world& w, reader& r, writer& wr);

[[nodiscard]] sock_handler line_protocol_sock_handler(world& w);
[[nodiscard]] stream_handler line_protocol_stream_handler(world& w);

}  // namespace berth::sim
