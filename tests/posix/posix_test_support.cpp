#include "posix_test_support.hpp"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace berth::posix::test {

std::size_t open_fd_count() {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/self/fd")) {
        ++count;
    }
    return count;
}

bool is_open_fd(int fd) {
    return ::fcntl(fd, F_GETFD) != -1;
}

int connect_to(const socket_address& address) {
    const int fd = ::socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    const int rc = ::connect(fd, address.data(), address.length());
    INFO("connect to ", address.to_string(), ": ", std::strerror(errno));
    REQUIRE(rc == 0);
    return fd;
}

socket_address unix_address(const std::string& name) {
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    REQUIRE(name.size() < sizeof(un.sun_path));
    std::memcpy(un.sun_path, name.data(), name.size());
    std::size_t length = offsetof(sockaddr_un, sun_path) + name.size() + 1;
    if (name[0] == '@') {
        un.sun_path[0] = '\0';
        length = offsetof(sockaddr_un, sun_path) + name.size();
    }
    return socket_address(reinterpret_cast<const sockaddr*>(&un), static_cast<socklen_t>(length));
}

socket_address loopback_v4(std::uint16_t port) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    in.sin_port = htons(port);
    return socket_address(reinterpret_cast<const sockaddr*>(&in), sizeof(in));
}

// For a listening TCP socket Linux reports the accept queue's length in
// tcpi_unacked. The handshake's last step may still be in flight when connect
// returns; this waits for it by yielding, bounded, never by sleeping.
void wait_accept_queue(int listen_fd, std::uint32_t count) {
    for (int i = 0; i < 1'000'000; ++i) {
        tcp_info info{};
        socklen_t length = sizeof(info);
        REQUIRE(::getsockopt(listen_fd, IPPROTO_TCP, TCP_INFO, &info, &length) == 0);
        if (info.tcpi_unacked >= count) return;
        sched_yield();
    }
    FAIL("the accept queue never reached ", count);
}

bool peer_closed(int fd) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 1000) != 1) return false;
    char byte = 0;
    const ssize_t n = ::recv(fd, &byte, 1, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

temp_dir::temp_dir() {
    char pattern[] = "/tmp/berth-posix-XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    path_ = pattern;
}

temp_dir::~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::string unique_abstract_name(const char* what) {
    return "berth-test-" + std::to_string(::getpid()) + "-" + what;
}

}  // namespace berth::posix::test
