/// @file
/// Sockets passed by the service manager (systemd socket activation): LISTEN_PID
/// names the process they are for, LISTEN_FDS how many there are, starting at fd 3.
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>

namespace berth::posix {

inline constexpr int systemd_first_fd = 3;
/// More than this many passed sockets is taken as a corrupt environment.
inline constexpr std::uint32_t systemd_sockets_max = 4096;

struct systemd_sockets {
    int first_fd = systemd_first_fd;
    std::uint32_t count = 0;
    /// Empty when the variables are valid; else a sentence saying what is wrong.
    std::string error;
};

/// Parses the values of LISTEN_PID and LISTEN_FDS (null when unset) for the process
/// `self`. Pure, so every case can be tested without touching the environment.
[[nodiscard]] systemd_sockets parse_systemd_sockets(const char* listen_pid, const char* listen_fds,
                                                    pid_t self);

/// parse_systemd_sockets of this process's environment. Leaves the variables set.
[[nodiscard]] systemd_sockets systemd_sockets_from_environment();

}  // namespace berth::posix
