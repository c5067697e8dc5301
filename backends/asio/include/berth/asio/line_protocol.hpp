// The line protocol of the echo server (berth-echo), of the conformance scenarios
// and of the benchmark. The client drives it, so that "a blocked handler",
// "finish" and "fail" are the client's choice:
//
//   any line   -> echoed back
//   quit       -> replies "bye", the handler finishes normally
//   fail       -> the handler fails with the error "fail requested"
//   flood N    -> writes N bytes of 'x' (at most flood_bytes_max) without waiting
//                 for the peer to read (the create form; create_sock waits)
//   sleep MS   -> pauses MS milliseconds (at most sleep_ms_max), then echoes
//   read N     -> reads exactly N bytes (1 to 65536), answers
//                 "got N:<the bytes>"
//   (nothing)  -> the handler blocks reading; the end of the stream finishes it
#pragma once

#include <cstdint>
#include <string_view>

#include "berth/asio/server.hpp"
#include "berth/driver/line_command.hpp"

namespace berth::asio {

// The commands' parsing is shared by every backend (berth/driver/line_command.hpp).
using driver::flood_bytes_max;
using driver::flood_request_bytes;
using driver::sleep_ms_max;
using driver::sleep_request_ms;

[[nodiscard]] boost::asio::awaitable<void> serve_line_protocol(reader& r, writer& w);
[[nodiscard]] boost::asio::awaitable<void> serve_line_protocol(socket& sock);

[[nodiscard]] stream_handler line_protocol_handler();
[[nodiscard]] sock_handler line_protocol_sock_handler();

}  // namespace berth::asio
