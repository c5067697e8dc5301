// The line protocol of the echo server (berth-echo --backend uv), of the
// conformance scenarios and of the benchmark, on libuv. The client drives it, as
// with the Asio backend (berth/asio/line_protocol.hpp):
//
//   any line   -> echoed back
//   quit       -> replies "bye", the handler finishes normally
//   fail       -> the handler fails with the error "fail requested"
//   flood N    -> writes N bytes of 'x' (at most flood_bytes_max) without waiting
//                 for the peer to read (the create form; create_sock waits)
//   sleep MS   -> pauses MS milliseconds (at most sleep_ms_max), then echoes
//   read N     -> reads exactly N bytes (1 to 65536), answers
//                 "got N:<the bytes>"
//   (nothing)  -> the handler waits reading; the end of the stream finishes it
#pragma once

#include <cstdint>
#include <string_view>

#include <uv.h>

#include "berth/driver/line_command.hpp"
#include "berth/uv/server.hpp"

namespace berth::uv {

// The commands' parsing is shared by every backend (berth/driver/line_command.hpp).
using driver::flood_bytes_max;
using driver::flood_request_bytes;
using driver::sleep_ms_max;
using driver::sleep_request_ms;

/// The handlers; `loop` is where their sleep timers run (the server's loop).
[[nodiscard]] stream_handler line_protocol_handler(uv_loop_t* loop);
[[nodiscard]] sock_handler line_protocol_sock_handler(uv_loop_t* loop);

}  // namespace berth::uv
