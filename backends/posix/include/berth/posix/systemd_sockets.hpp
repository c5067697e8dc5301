/// @file
/// Sockets passed by the service manager (systemd socket activation): LISTEN_PID
/// names the process they are for, LISTEN_FDS how many there are, starting at fd 3.
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>

namespace berth::posix {

/// The descriptor of the first passed socket (SD_LISTEN_FDS_START).
inline constexpr int systemd_first_fd = 3;
/// More than this many passed sockets is taken as a corrupt environment.
inline constexpr std::uint32_t systemd_sockets_max = 4096;

/// The passed sockets: `count` descriptors from `first_fd` on, or an error.
struct systemd_sockets {
    int first_fd = systemd_first_fd;  ///< always 3
    std::uint32_t count = 0;          ///< how many were passed
    /// Empty when the variables are valid; else a sentence saying what is wrong.
    std::string error;
};

/// Parses the values of LISTEN_PID and LISTEN_FDS (null when unset) for the process
/// `self`. Pure, so every case can be tested without touching the environment.
/// @param listen_pid LISTEN_PID's value, or null.
/// @param listen_fds LISTEN_FDS's value, or null.
/// @param self the process asking.
/// @return the sockets; `error` set (count 0) when the variables are unset, are
///   for another process or are malformed.
[[nodiscard]] systemd_sockets parse_systemd_sockets(const char* listen_pid, const char* listen_fds,
                                                    pid_t self);

/// parse_systemd_sockets of this process's environment. Leaves the variables set.
/// Reads the environment: not safe against a concurrent setenv.
/// @return as parse_systemd_sockets.
[[nodiscard]] systemd_sockets systemd_sockets_from_environment();

}  // namespace berth::posix
