/// @file
/// The line protocol of the echo server (berth-echo), of the conformance scenarios,
/// of the simulator's swarm runs and fuzzer, and of the benchmarks: one portable
/// handler per form, served unchanged by every backend. The client drives it, so
/// that "a blocked handler", "finish" and "fail" are the client's choice. The
/// commands are in berth/line_command.hpp.
#pragma once

#include "berth/address.hpp"
#include "berth/handler.hpp"

namespace berth {

/// The `create` form. "flood N" writes in chunks of at most 64 KiB and at most the
/// writer's buffer_limit_bytes, and awaits flushed() between them: a flood never
/// holds more than a chunk and never trips the limit.
[[nodiscard]] task<> serve_line_protocol(address peer, reader& r, writer& w);
/// The `create_sock` form, with a reader over the stream and awaited writes.
[[nodiscard]] task<> serve_line_protocol(address peer, stream& s);

[[nodiscard]] reader_writer_handler line_protocol_handler();
[[nodiscard]] stream_handler line_protocol_sock_handler();

}  // namespace berth
