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
/// holds more than a chunk and never trips the limit. "fail" throws
/// std::runtime_error(fail_requested); a line past the reader's limit throws
/// line_too_long.
/// @param peer unused but for the handler's signature.
/// @param r,w the connection's, valid while the task runs.
/// @return the handler's task, started by the server.
[[nodiscard]] task<> serve_line_protocol(address peer, reader& r, writer& w);
/// The `create_sock` form, with a reader over the stream and awaited writes.
/// @param peer unused but for the handler's signature.
/// @param s the connection's stream, valid while the task runs.
/// @return the handler's task, started by the server.
[[nodiscard]] task<> serve_line_protocol(address peer, stream& s);

/// The `create` form as a handler to pass to a server's create.
[[nodiscard]] reader_writer_handler line_protocol_handler();
/// The `create_sock` form as a handler to pass to a server's create_sock.
[[nodiscard]] stream_handler line_protocol_sock_handler();

}  // namespace berth
