/// @file
/// Removal of a Unix socket file left behind by a server that is gone.
#pragma once

#include <cstdint>
#include <string>

namespace berth::posix {

/// What remove_stale_socket_file found, and did.
enum class stale_check : std::uint8_t {
    absent,        ///< nothing at the path
    not_a_socket,  ///< a regular file, directory, ...: never removed
    alive,         ///< a server accepts (or queues) connections there: not removed
    unknown,       ///< the probe could not tell (EACCES, out of descriptors): not removed
    removed,       ///< a socket whose probe connection was refused: removed
};

/// Removes the socket file at `path` only if it is a socket and a probe connection
/// to it is refused, which means no process listens on it any more. Anything else
/// is left alone. A server that binds the path between the probe and the removal
/// loses its file: the window is a few system calls, and the option is opt-in.
/// Does not block: the probe is a non-blocking connect(2).
/// @param path the socket file's path.
/// @return what was found; `removed` only when the file is gone.
[[nodiscard]] stale_check remove_stale_socket_file(const std::string& path);

/// The enumerator's name ("not_a_socket").
/// @param check the value to name.
/// @return a static string, valid for the life of the program.
[[nodiscard]] const char* to_string(stale_check check);

}  // namespace berth::posix
