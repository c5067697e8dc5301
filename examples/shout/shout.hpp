// The README's example of a portable handler: it answers each line in upper case.
// Written once against berth's portable API (berth/handler.hpp), it is served
// unchanged by asio::server::create, uv::server::create and sim::server::create;
// tests/portable/readme_handler_portable_test.cpp runs it on all three.
#pragma once

#include "berth/handler.hpp"

namespace berth::examples {

/// The `create` form: reads lines until the client leaves, and answers each with
/// the line in upper case (bytes outside ASCII unchanged) and a newline. Waits for
/// each answer to reach the kernel before reading on, so a client that sends
/// without reading is held back by its own socket buffers, not by the server's
/// memory. A client leaving (its end of stream or a reset) is a normal end.
[[nodiscard]] task<> shout(address peer, reader& r, writer& w);

}  // namespace berth::examples
