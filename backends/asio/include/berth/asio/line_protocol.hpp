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
//   (nothing)  -> the handler blocks reading; the end of the stream finishes it
#pragma once

#include <cstdint>
#include <string_view>

#include "berth/asio/server.hpp"

namespace berth::asio {

inline constexpr std::int64_t sleep_ms_max = 60'000;
inline constexpr std::uint64_t flood_bytes_max = 1ULL << 30;

/// Milliseconds asked for by a "sleep MS" line, or -1 if the line is not one.
[[nodiscard]] std::int64_t sleep_request_ms(std::string_view line);
/// Bytes asked for by a "flood N" line, or -1 if the line is not one.
[[nodiscard]] std::int64_t flood_request_bytes(std::string_view line);

[[nodiscard]] boost::asio::awaitable<void> serve_line_protocol(reader& r, writer& w);
[[nodiscard]] boost::asio::awaitable<void> serve_line_protocol(socket& sock);

[[nodiscard]] stream_handler line_protocol_handler();
[[nodiscard]] sock_handler line_protocol_sock_handler();

}  // namespace berth::asio
