// berth-reuseport's handler: echoes each line, and answers the line "thread" with
// the index of the thread whose server accepted the connection ("thread 2"), so a
// client can see how the kernel spread the connections over the listeners.
#pragma once

#include "berth/handler.hpp"

namespace berth::reuseport {

[[nodiscard]] task<> serve_thread_echo(unsigned thread_index, address peer, reader& r, writer& w);

/// serve_thread_echo for the server of thread `thread_index`.
[[nodiscard]] reader_writer_handler thread_echo_handler(unsigned thread_index);

}  // namespace berth::reuseport
