// Closing the sockets the core hands back (close_socket, close_dropped_socket).
#pragma once

namespace berth::posix {

class descriptor_reserve;

/// Shuts the connection down both ways, so the peer sees end of stream even if a
/// duplicate of the descriptor lives on (a fork, a dup), then closes it. Errors
/// are ignored: the peer may be gone already, and close(2) on Linux releases the
/// descriptor even when it reports an error, so retrying would be wrong.
void close_connection_socket(int fd);

/// Closes a socket that never became a connection. When `reserve` is given, it is
/// reopened afterwards: a shed batch's sockets are the descriptors it needs back.
void close_dropped_socket(int fd, descriptor_reserve* reserve = nullptr);

}  // namespace berth::posix
