#include "load_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <string>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace berth::bench {

namespace {

constexpr std::size_t message_bytes = 64;

struct conn {
    int fd = -1;
    std::size_t received = 0;  // bytes of the current echo
};

}  // namespace

std::uint64_t run_load(std::uint16_t port, int connections, std::chrono::milliseconds duration) {
    std::string message(message_bytes - 1, 'm');
    message.push_back('\n');
    const int ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) throw std::runtime_error("epoll_create1 failed");
    std::vector<conn> conns(static_cast<std::size_t>(connections));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (std::size_t i = 0; i < conns.size(); ++i) {
        conns[i].fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (::connect(conns[i].fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) !=
            0) {
            throw std::runtime_error("connect failed");
        }
        const int on = 1;
        ::setsockopt(conns[i].fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        ::epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
        static_cast<void>(::send(conns[i].fd, message.data(), message.size(), MSG_NOSIGNAL));
    }
    std::uint64_t round_trips = 0;
    const auto end = std::chrono::steady_clock::now() + duration;
    std::vector<epoll_event> events(conns.size());
    char buffer[4096];
    while (std::chrono::steady_clock::now() < end) {
        const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), 10);
        for (int k = 0; k < n; ++k) {
            conn& c = conns[events[static_cast<std::size_t>(k)].data.u64];
            const ssize_t got = ::recv(c.fd, buffer, sizeof(buffer), MSG_DONTWAIT);
            if (got <= 0) continue;
            c.received += static_cast<std::size_t>(got);
            // Bounded: one message outstanding per connection.
            while (c.received >= message_bytes) {
                c.received -= message_bytes;
                ++round_trips;
                static_cast<void>(::send(c.fd, message.data(), message.size(), MSG_NOSIGNAL));
            }
        }
    }
    for (conn& c : conns)
        ::close(c.fd);
    ::close(ep);
    return round_trips;
}

}  // namespace berth::bench
