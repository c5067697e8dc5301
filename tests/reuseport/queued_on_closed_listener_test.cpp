// What berth-reuseport's README says of the kernel: with SO_REUSEPORT each listener
// has its own accept queue, and a listener that closes resets the connections
// queued on it, unless net.ipv4.tcp_migrate_req (Linux 5.14) is 1, which moves them
// to another listener of the port. Plain sockets, no berth: the fact itself.
#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <set>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include <doctest/doctest.h>

#include "posix_test_support.hpp"

namespace berth::reuseport_test {

namespace {

constexpr int clients = 32;

int reuseport_listener(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    REQUIRE(fd >= 0);
    const int on = 1;
    REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) == 0);
    const posix::socket_address address = posix::test::loopback_v4(port);
    REQUIRE(::bind(fd, address.data(), address.length()) == 0);
    REQUIRE(::listen(fd, clients) == 0);
    return fd;
}

std::uint16_t local_port(int fd) {
    sockaddr_in address{};
    socklen_t length = sizeof(address);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    return ntohs(address.sin_port);
}

std::uint16_t peer_port(int fd) {
    sockaddr_in address{};
    socklen_t length = sizeof(address);
    REQUIRE(::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    return ntohs(address.sin_port);
}

bool migrates_requests() {
    std::ifstream setting("/proc/sys/net/ipv4/tcp_migrate_req");
    int value = 0;
    return setting >> value && value == 1;
}

// Whether the connection was reset: a read within a second fails with ECONNRESET.
bool was_reset(int fd) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 1000) <= 0) return false;
    char byte = 0;
    return ::recv(fd, &byte, 1, 0) < 0 && errno == ECONNRESET;
}

}  // namespace

TEST_CASE(
    "the kernel resets connections queued on an SO_REUSEPORT listener that closes, unless "
    "tcp_migrate_req moves them to another listener of the port") {
    const posix::test::fd_leak_check fds;
    const int first = reuseport_listener(0);
    const std::uint16_t port = local_port(first);
    const int second = reuseport_listener(port);

    std::vector<int> connected;
    for (int i = 0; i < clients; ++i) {
        connected.push_back(posix::test::connect_to(posix::test::loopback_v4(port)));
    }
    // Every client is in one of the two queues; nobody accepted yet.
    ::close(first);

    std::set<std::uint16_t> served;  // the clients' ports, as the second listener saw them
    // Bounded: at most `clients` connections are queued.
    for (int i = 0; i <= clients; ++i) {
        const int accepted = ::accept4(second, nullptr, nullptr, SOCK_CLOEXEC);
        if (accepted < 0) {
            CHECK((errno == EAGAIN || errno == EWOULDBLOCK));
            break;
        }
        served.insert(peer_port(accepted));
        ::close(accepted);
    }
    int reset = 0;
    for (const int fd : connected) {
        if (served.count(local_port(fd)) == 0) {
            CHECK(was_reset(fd));  // neither served nor left waiting: reset
            ++reset;
        }
        ::close(fd);
    }
    ::close(second);
    MESSAGE(served.size() << " served by the open listener, " << reset
                          << " reset with the closed one; tcp_migrate_req "
                          << (migrates_requests() ? 1 : 0));
    if (migrates_requests()) {
        CHECK(reset == 0);
    } else {
        // Each client lands on either listener by the hash of its address and port:
        // all 32 on one side happens once in 2^31 runs.
        CHECK(reset > 0);
        CHECK(served.size() > 0);
    }
}

}  // namespace berth::reuseport_test
