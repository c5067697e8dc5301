/// @file
/// Closing the sockets the core hands back (close_socket, close_dropped_socket).
#pragma once

namespace berth::posix {

/// Shuts the connection down both ways, so the peer sees end of stream even if a
/// duplicate of the descriptor lives on (a fork, a dup), then closes it. Errors
/// are ignored: the peer may be gone already, and close(2) on Linux releases the
/// descriptor even when it reports an error, so retrying would be wrong.
/// @param fd a connected socket the caller owns; closed when this returns.
void close_connection_socket(int fd);

}  // namespace berth::posix
