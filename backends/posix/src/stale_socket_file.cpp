#include "berth/posix/stale_socket_file.hpp"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace berth::posix {

namespace {

// Connects without blocking: a live server whose backlog is full answers EAGAIN
// instead of making us wait, and still counts as alive.
stale_check probe(const std::string& path) {
    sockaddr_un address{};
    if (path.size() >= sizeof(address.sun_path)) return stale_check::unknown;
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.data(), path.size());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return stale_check::unknown;
    const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
    const int error_value = rc == 0 ? 0 : errno;
    ::close(fd);
    if (rc == 0 || error_value == EAGAIN || error_value == EINPROGRESS) return stale_check::alive;
    if (error_value == ECONNREFUSED) return stale_check::removed;
    if (error_value == ENOENT) return stale_check::absent;
    return stale_check::unknown;
}

}  // namespace

stale_check remove_stale_socket_file(const std::string& path) {
    struct stat status {};
    if (::lstat(path.c_str(), &status) != 0) {
        return errno == ENOENT ? stale_check::absent : stale_check::unknown;
    }
    if (!S_ISSOCK(status.st_mode)) return stale_check::not_a_socket;
    const stale_check verdict = probe(path);
    if (verdict != stale_check::removed) return verdict;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return stale_check::unknown;
    return stale_check::removed;
}

const char* to_string(stale_check check) {
    switch (check) {
        case stale_check::absent: return "absent";
        case stale_check::not_a_socket: return "not_a_socket";
        case stale_check::alive: return "alive";
        case stale_check::unknown: return "unknown";
        case stale_check::removed: return "removed";
    }
    return "invalid";
}

}  // namespace berth::posix
