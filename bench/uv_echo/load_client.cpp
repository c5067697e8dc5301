#include "load_client.hpp"

#include <cerrno>
#include <chrono>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace berth::bench {

namespace {

struct conn {
    int fd = -1;
    std::size_t received = 0;
};

int connect_one(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) != 0) {
        ::close(fd);
        throw std::runtime_error("connect failed");
    }
    const int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    return fd;
}

}  // namespace

double run_load(std::uint16_t port, int connections, double seconds) {
    const char message[message_bytes] = {'p'};
    std::vector<conn> conns(static_cast<std::size_t>(connections));
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    for (std::size_t i = 0; i < conns.size(); ++i) {
        conns[i].fd = connect_one(port);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
        static_cast<void>(::send(conns[i].fd, message, sizeof(message), MSG_NOSIGNAL));
    }
    using clock = std::chrono::steady_clock;
    const auto start = clock::now();
    const auto until = start + std::chrono::duration<double>(seconds);
    std::uint64_t round_trips = 0;
    std::vector<epoll_event> events(conns.size());
    char buffer[message_bytes];
    // Bounded by the clock.
    while (clock::now() < until) {
        const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 100);
        for (int i = 0; i < n; ++i) {
            conn& c = conns[events[static_cast<std::size_t>(i)].data.u64];
            const ssize_t got = ::recv(c.fd, buffer, message_bytes - c.received, MSG_DONTWAIT);
            if (got <= 0) continue;
            c.received += static_cast<std::size_t>(got);
            if (c.received < message_bytes) continue;
            c.received = 0;
            ++round_trips;
            static_cast<void>(::send(c.fd, message, sizeof(message), MSG_NOSIGNAL));
        }
    }
    const double elapsed = std::chrono::duration<double>(clock::now() - start).count();
    for (const conn& c : conns)
        ::close(c.fd);
    ::close(ep);
    return static_cast<double>(round_trips) / elapsed;
}

}  // namespace berth::bench
