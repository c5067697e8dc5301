#include "berth/posix/systemd_sockets.hpp"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

namespace berth::posix {

namespace {

// A whole decimal number, nothing around it.
template <typename T>
bool parse_number(const char* text, T& out) {
    const char* end = text + std::strlen(text);
    const auto [ptr, ec] = std::from_chars(text, end, out);
    return ec == std::errc() && ptr == end && ptr != text;
}

}  // namespace

systemd_sockets parse_systemd_sockets(const char* listen_pid, const char* listen_fds, pid_t self) {
    systemd_sockets out;
    if (listen_pid == nullptr || listen_fds == nullptr) {
        out.error =
            "LISTEN_PID and LISTEN_FDS are not both set: the program was not started "
            "by socket activation";
        return out;
    }
    pid_t pid = 0;
    if (!parse_number(listen_pid, pid) || pid <= 0) {
        out.error = "LISTEN_PID \"" + std::string(listen_pid) + "\" is not a process id";
        return out;
    }
    if (pid != self) {
        out.error = "LISTEN_PID is " + std::to_string(pid) + ", not this process (" +
                    std::to_string(self) + "): the sockets were passed to another process";
        return out;
    }
    std::uint32_t count = 0;
    if (!parse_number(listen_fds, count) || count == 0 || count > systemd_sockets_max) {
        out.error = "LISTEN_FDS \"" + std::string(listen_fds) + "\" is not a number from 1 to " +
                    std::to_string(systemd_sockets_max);
        return out;
    }
    out.count = count;
    return out;
}

systemd_sockets systemd_sockets_from_environment() {
    return parse_systemd_sockets(std::getenv("LISTEN_PID"), std::getenv("LISTEN_FDS"), ::getpid());
}

}  // namespace berth::posix
