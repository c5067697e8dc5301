// libevent-echo: the line echo server on libevent 2.1 as its documentation shows
// it: an evconnlistener, a bufferevent per connection, one event_base on one
// thread. Every complete line in the input buffer moves to the output buffer
// (evbuffer_remove_buffer: no copy of the bytes); a partial line waits for its
// '\n'. When more than 1 MiB waits to be written, reading stops until it is down
// to 64 KiB.
#include <arpa/inet.h>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "../baselines/server_args.hpp"

namespace {

constexpr std::size_t high_water = 1024 * 1024;
constexpr std::size_t low_water = 64 * 1024;
constexpr std::size_t max_line = 4 * 1024 * 1024;

void on_read(bufferevent* bev, void* /*arg*/);
void on_event(bufferevent* bev, short events, void* /*arg*/);

void on_drained(bufferevent* bev, void* /*arg*/) {
    // The output is down to the low-water mark: read again.
    bufferevent_setcb(bev, on_read, nullptr, on_event, nullptr);
    bufferevent_enable(bev, EV_READ);
}

// Where the last '\n' of `in` ends, or 0 when it holds no complete line.
std::size_t complete_lines(evbuffer* in) {
    std::size_t end = 0;
    evbuffer_ptr at = evbuffer_search_eol(in, nullptr, nullptr, EVBUFFER_EOL_LF);
    while (at.pos >= 0) {
        end = static_cast<std::size_t>(at.pos) + 1;
        if (evbuffer_ptr_set(in, &at, 1, EVBUFFER_PTR_ADD) != 0) break;
        at = evbuffer_search_eol(in, &at, nullptr, EVBUFFER_EOL_LF);
    }
    return end;
}

void on_read(bufferevent* bev, void* /*arg*/) {
    evbuffer* in = bufferevent_get_input(bev);
    evbuffer* out = bufferevent_get_output(bev);
    const std::size_t lines = complete_lines(in);
    if (lines == 0) {
        if (evbuffer_get_length(in) > max_line) bufferevent_free(bev);
        return;
    }
    evbuffer_remove_buffer(in, out, lines);
    if (evbuffer_get_length(out) > high_water) {
        bufferevent_disable(bev, EV_READ);
        bufferevent_setwatermark(bev, EV_WRITE, low_water, 0);
        bufferevent_setcb(bev, on_read, on_drained, on_event, nullptr);
    }
}

void on_event(bufferevent* bev, short events, void* /*arg*/) {
    if ((events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) != 0) bufferevent_free(bev);
}

void on_accept(evconnlistener* listener, evutil_socket_t fd, sockaddr* /*peer*/, int /*len*/,
               void* /*arg*/) {
    const int on = 1;
    static_cast<void>(::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)));
    event_base* base = evconnlistener_get_base(listener);
    bufferevent* bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (bev == nullptr) {
        evutil_closesocket(fd);
        return;
    }
    bufferevent_setcb(bev, on_read, nullptr, on_event, nullptr);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

void on_signal(evutil_socket_t /*signal*/, short /*events*/, void* arg) {
    event_base_loopbreak(static_cast<event_base*>(arg));
}

}  // namespace

int main(int argc, char** argv) {
    const berth::bench::server_args args = berth::bench::parse_server_args(argc, argv);
    static_cast<void>(std::signal(SIGPIPE, SIG_IGN));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(args.port);
    if (::inet_pton(AF_INET, args.host.c_str(), &address.sin_addr) != 1) {
        berth::bench::refuse(argv[0], "--listen host must be an IPv4 address");
    }
    event_base* base = event_base_new();
    evconnlistener* listener = evconnlistener_new_bind(
        base, on_accept, nullptr, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, args.backlog,
        reinterpret_cast<const sockaddr*>(&address), sizeof(address));
    if (listener == nullptr) {
        std::fprintf(stderr, "libevent-echo: cannot listen on %s:%u: %s\n", args.host.c_str(),
                     static_cast<unsigned>(args.port), std::strerror(errno));
        return 1;
    }
    socklen_t len = sizeof(address);
    ::getsockname(evconnlistener_get_fd(listener), reinterpret_cast<sockaddr*>(&address), &len);
    berth::bench::print_listening(args.host, ntohs(address.sin_port));

    event* sigint = evsignal_new(base, SIGINT, on_signal, base);
    event* sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    event_add(sigint, nullptr);
    event_add(sigterm, nullptr);
    event_base_dispatch(base);
    event_free(sigint);
    event_free(sigterm);
    evconnlistener_free(listener);
    event_base_free(base);
    return 0;
}
