// A small HTTP/1.1 keep-alive server's handler, written once with berth's portable
// API and served unchanged on Asio and libuv (berth-http): every request gets a
// fixed 200 "hello\n". Requests are parsed with Boost.Beast's parser, fed from the
// reader; nothing of Beast's streams is used, so the same handler runs on any
// backend.
#pragma once

#include <cstddef>

#include "berth/handler.hpp"

namespace berth::http_example {

/// The most a request's header may take; beyond it the answer is 431 and the
/// connection is closed.
inline constexpr std::size_t header_bytes_max = 8 * 1024;
/// The most a request's body may take; beyond it the answer is 413 and the
/// connection is closed.
inline constexpr std::size_t body_bytes_max = 64 * 1024;

/// Answers every request with "hello\n", keeping the connection open unless the
/// request asks to close it (HTTP/1.0 without keep-alive, or "Connection: close");
/// a malformed request gets 400 and the connection is closed.
[[nodiscard]] task<> serve_hello(address peer, reader& r, writer& w);

}  // namespace berth::http_example
