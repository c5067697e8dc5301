// berth-chat's handler: one portable function (berth/handler.hpp), served unchanged
// by Asio and libuv. The protocol, in lines:
//
//   server -> client  "* welcome <name>"         once the client is in the room
//   client -> server  "<text>"                   to everyone else: "<name>: <text>"
//   client -> server  "/nick NAME"               renames; answered "* you are now NAME"
//   server -> client  "* error: ..."             a refused command or nick; a line
//                                                too long, after which the server closes
//   server -> client  "* server shutting down"   SIGTERM or SIGINT: the drain began
//
// <name> is the peer's address ("127.0.0.1:40000") until /nick changes it.
#pragma once

#include <cstddef>

#include "berth/handler.hpp"
#include "chat_room.hpp"

namespace berth::chat {

/// The longest line a client may send, newline excluded. A chat line is small, and
/// every line is copied into every member's writer: the bound keeps one line far
/// below any writer's buffer_limit_bytes.
inline constexpr std::size_t line_length_max = 4096;
/// The longest nick.
inline constexpr std::size_t nick_length_max = 32;

/// Serves one connection in `r`, which must outlive the server's handlers.
[[nodiscard]] task<> serve_chat(room& r, address peer, reader& in, writer& out);

/// serve_chat bound to `r`, in the form servers take.
[[nodiscard]] reader_writer_handler chat_handler(room& r);

}  // namespace berth::chat
