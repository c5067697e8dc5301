// plain-epoll-echo: the floor. A line echo server on raw epoll, level-triggered,
// one thread: one recv per readiness report, every complete line received is sent
// back at once, a partial line waits for its '\n'. While a reply does not fit in
// the socket, the connection stops reading (EPOLLOUT instead of EPOLLIN) until it
// has gone. Connections live in a table indexed by descriptor, whose buffers stay
// allocated for the next connection on the same descriptor.
#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "server_args.hpp"

namespace {

constexpr std::size_t initial_buffer = 16 * 1024;
constexpr std::size_t max_line = 4 * 1024 * 1024;  // a longer line closes the connection

struct connection {
    bool open = false;
    bool writing = false;  // waiting for EPOLLOUT
    std::vector<char> buffer;
    std::size_t length = 0;  // bytes in the buffer
    std::size_t lines = 0;   // buffer[0, lines) is complete lines, to send
    std::size_t sent = 0;    // of those, already sent
};

std::vector<connection> table;
int ep = -1;

void close_connection(int fd) {
    connection& c = table[static_cast<std::size_t>(fd)];
    c.open = false;
    c.length = c.lines = c.sent = 0;
    ::close(fd);
}

void set_interest(int fd, std::uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    static_cast<void>(::epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev));
}

// Sends buffer[sent, lines); false when the connection closed.
bool send_lines(int fd, connection& c) {
    while (c.sent < c.lines) {
        const ssize_t n = ::send(fd, c.buffer.data() + c.sent, c.lines - c.sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!c.writing) {
                    c.writing = true;
                    set_interest(fd, EPOLLOUT);
                }
                return true;
            }
            close_connection(fd);
            return false;
        }
        c.sent += static_cast<std::size_t>(n);
    }
    // All sent: keep the partial line at the front.
    const std::size_t rest = c.length - c.lines;
    if (rest > 0) std::memmove(c.buffer.data(), c.buffer.data() + c.lines, rest);
    c.length = rest;
    c.lines = c.sent = 0;
    if (c.writing) {
        c.writing = false;
        set_interest(fd, EPOLLIN);
    }
    return true;
}

void on_readable(int fd, connection& c) {
    if (c.length == c.buffer.size()) {
        if (c.buffer.size() >= max_line) {
            close_connection(fd);
            return;
        }
        c.buffer.resize(c.buffer.size() * 2);
    }
    const ssize_t n = ::recv(fd, c.buffer.data() + c.length, c.buffer.size() - c.length, 0);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
        close_connection(fd);
        return;
    }
    const std::size_t old = c.length;
    c.length += static_cast<std::size_t>(n);
    const void* last = ::memrchr(c.buffer.data() + old, '\n', c.length - old);
    if (last == nullptr) return;
    c.lines = static_cast<std::size_t>(static_cast<const char*>(last) - c.buffer.data()) + 1;
    send_lines(fd, c);
}

void accept_all(int listener) {
    for (;;) {
        const int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            // EAGAIN: the queue is empty. Anything else (EMFILE, ECONNABORTED): try
            // again at the next report.
            return;
        }
        const int on = 1;
        static_cast<void>(::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)));
        if (static_cast<std::size_t>(fd) >= table.size())
            table.resize(static_cast<std::size_t>(fd) * 2 + 1);
        connection& c = table[static_cast<std::size_t>(fd)];
        c.open = true;
        c.writing = false;
        if (c.buffer.empty()) c.buffer.resize(initial_buffer);
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        if (::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) close_connection(fd);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const berth::bench::server_args args = berth::bench::parse_server_args(argc, argv);

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &signals, nullptr);
    static_cast<void>(std::signal(SIGPIPE, SIG_IGN));
    const int sfd = ::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);

    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int on = 1;
    static_cast<void>(::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(args.port);
    if (::inet_pton(AF_INET, args.host.c_str(), &address.sin_addr) != 1) {
        berth::bench::refuse(argv[0], "--listen host must be an IPv4 address");
    }
    if (::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
        ::listen(listener, args.backlog) != 0) {
        std::fprintf(stderr, "plain-epoll-echo: cannot listen on %s:%u: %s\n", args.host.c_str(),
                     static_cast<unsigned>(args.port), std::strerror(errno));
        return 1;
    }
    socklen_t len = sizeof(address);
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &len);

    ep = ::epoll_create1(EPOLL_CLOEXEC);
    table.resize(1024);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listener;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
    ev.data.fd = sfd;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
    berth::bench::print_listening(args.host, ntohs(address.sin_port));

    std::vector<epoll_event> events(1024);
    for (bool running = true; running;) {
        const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
        for (int k = 0; k < n; ++k) {
            const epoll_event& e = events[static_cast<std::size_t>(k)];
            const int fd = e.data.fd;
            if (fd == listener) {
                accept_all(listener);
            } else if (fd == sfd) {
                running = false;
            } else {
                connection& c = table[static_cast<std::size_t>(fd)];
                if (!c.open) continue;
                if (c.writing) {
                    send_lines(fd, c);
                } else {
                    on_readable(fd, c);
                }
            }
        }
    }
    for (std::size_t fd = 0; fd < table.size(); ++fd)
        if (table[fd].open) ::close(static_cast<int>(fd));
    ::close(listener);
    ::close(ep);
    return 0;
}
