// The baseline: a plain hand-written Asio line echo server (acceptor, one
// coroutine per connection), as a user would write without berth.
#pragma once

#include <cstdint>

#include <boost/asio/io_context.hpp>

namespace berth::bench {

/// Starts listening on 127.0.0.1 (port chosen by the OS) and returns the port.
[[nodiscard]] std::uint16_t start_plain_echo(boost::asio::io_context& ctx);

}  // namespace berth::bench
