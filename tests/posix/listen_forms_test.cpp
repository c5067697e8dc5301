// Every listen form of SEMANTICS.md section 3 binds, accepts, and reports
// listening_on as the table says.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "berth/posix/listener.hpp"
#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

int socket_option(int fd, int name) {
    int value = -1;
    socklen_t length = sizeof(value);
    REQUIRE(::getsockopt(fd, SOL_SOCKET, name, &value, &length) == 0);
    return value;
}

// A connection to the listener reaches its queue: the socket really listens.
void check_accepts(const listener& l, const socket_address& connect_address) {
    const int client = test::connect_to(connect_address);
    const int accepted = ::accept4(l.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    CHECK(accepted >= 0);
    if (accepted >= 0) ::close(accepted);
    ::close(client);
}

TEST_CASE("of_port_chosen_by_os listens on all IPv4 addresses and reports the chosen port") {
    test::fd_leak_check leak_check;
    listener l = listener::create(listen_spec::of_port_chosen_by_os());
    CHECK_FALSE(l.listening_on().is_unix);
    CHECK(l.listening_on().port != 0);
    CHECK(l.listening_on_address().to_string() ==
          "0.0.0.0:" + std::to_string(l.listening_on().port));
    CHECK(l.family() == AF_INET);
    check_accepts(l, test::loopback_v4(l.listening_on().port));
}

TEST_CASE("of_port binds the given port on all IPv4 addresses") {
    test::fd_leak_check leak_check;
    // The OS picks a free port; a second listener then asks for it by number.
    std::uint16_t port = 0;
    {
        listener probe = listener::create(listen_spec::of_port_chosen_by_os());
        port = probe.listening_on().port;
    }
    listener l = listener::create(listen_spec::of_port(port));
    CHECK(l.listening_on().port == port);
    CHECK(l.listening_on().to_string() == std::to_string(port));
    CHECK(l.listening_on_address().to_string() == "0.0.0.0:" + std::to_string(port));
    check_accepts(l, test::loopback_v4(port));
}

TEST_CASE("bind_to localhost listens on 127.0.0.1 only") {
    test::fd_leak_check leak_check;
    listener l = listener::create(
        listen_spec::bind_to(bind_address::localhost(), bind_port::chosen_by_os()));
    CHECK(l.listening_on_address().to_string() ==
          "127.0.0.1:" + std::to_string(l.listening_on().port));
    check_accepts(l, test::loopback_v4(l.listening_on().port));
}

TEST_CASE("bind_to a specific IPv4 address and port number binds exactly that") {
    test::fd_leak_check leak_check;
    in_addr address{};
    REQUIRE(::inet_pton(AF_INET, "127.0.0.1", &address) == 1);
    std::uint16_t port = 0;
    {
        listener probe = listener::create(
            listen_spec::bind_to(bind_address::ipv4(address), bind_port::chosen_by_os()));
        port = probe.listening_on().port;
    }
    listener l = listener::create(
        listen_spec::bind_to(bind_address::ipv4(address), bind_port::number(port)));
    CHECK(l.listening_on().port == port);
    CHECK(l.listening_on_address().to_string() == "127.0.0.1:" + std::to_string(port));
}

TEST_CASE("bind_to an IPv6 address listens on IPv6") {
    test::fd_leak_check leak_check;
    listener l = listener::create(
        listen_spec::bind_to(bind_address::ipv6(in6addr_loopback), bind_port::chosen_by_os()));
    CHECK(l.family() == AF_INET6);
    const socket_address address = l.listening_on_address();
    CHECK(address.to_string() == "[::1]:" + std::to_string(l.listening_on().port));
    check_accepts(l, address);
}

TEST_CASE("of_file listens on a Unix socket and reports the path as given") {
    test::fd_leak_check leak_check;
    test::temp_dir dir;
    const std::string path = dir.file("echo.sock");
    listener l = listener::create(listen_spec::of_file(path));
    CHECK(l.family() == AF_UNIX);
    CHECK(l.listening_on().is_unix);
    CHECK(l.listening_on().path == path);
    CHECK(l.listening_on_address().to_string() == path);
    check_accepts(l, test::unix_address(path));
}

TEST_CASE("sockets the listener creates get SO_REUSEADDR on and SO_REUSEPORT off by default") {
    test::fd_leak_check leak_check;
    listener l = listener::create(
        listen_spec::bind_to(bind_address::localhost(), bind_port::chosen_by_os()));
    CHECK(socket_option(l.fd(), SO_REUSEADDR) != 0);
    CHECK(socket_option(l.fd(), SO_REUSEPORT) == 0);
}

TEST_CASE("SO_REUSEADDR and SO_REUSEPORT are settable per specification") {
    test::fd_leak_check leak_check;
    listener l =
        listener::create(listen_spec::bind_to(bind_address::localhost(), bind_port::chosen_by_os())
                             .reuse_address(false)
                             .reuse_port(true));
    CHECK(socket_option(l.fd(), SO_REUSEADDR) == 0);
    CHECK(socket_option(l.fd(), SO_REUSEPORT) != 0);
}

TEST_CASE("the listening socket is non-blocking and close-on-exec") {
    test::fd_leak_check leak_check;
    listener l = listener::create(listen_spec::of_port_chosen_by_os());
    CHECK((::fcntl(l.fd(), F_GETFL) & O_NONBLOCK) != 0);
    CHECK((::fcntl(l.fd(), F_GETFD) & FD_CLOEXEC) != 0);
}

TEST_CASE("the backlog is passed to listen") {
    test::fd_leak_check leak_check;
    listener l = listener::create(
        listen_spec::bind_to(bind_address::localhost(), bind_port::chosen_by_os()), 7);
    // Linux reports a listener's backlog as tcpi_sacked.
    tcp_info info{};
    socklen_t length = sizeof(info);
    REQUIRE(::getsockopt(l.fd(), IPPROTO_TCP, TCP_INFO, &info, &length) == 0);
    CHECK(info.tcpi_sacked == 7);
}

}  // namespace
}  // namespace berth::posix
