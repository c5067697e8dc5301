// posix::accept_one on a real listener: an accepted socket is non-blocking and
// close-on-exec, a TCP one has TCP_NODELAY, the peer is the client's address, and
// an empty queue gives EAGAIN at once.
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "berth/posix/accept.hpp"
#include "berth/posix/close_socket.hpp"
#include "berth/posix/listener.hpp"
#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

socket_address local_address_of(int fd) {
    sockaddr_storage storage{};
    socklen_t length = sizeof(storage);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) == 0);
    return socket_address(reinterpret_cast<const sockaddr*>(&storage), length);
}

void check_accepted_socket(const listener& l, const socket_address& connect_address,
                           bool expect_nodelay) {
    const int client = test::connect_to(connect_address);
    if (connect_address.is_inet()) test::wait_accept_queue(l.fd(), 1);
    const accepted a = accept_one(l.fd(), nullptr);
    REQUIRE(a.fd >= 0);
    CHECK(a.error_value == 0);
    CHECK((::fcntl(a.fd, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(a.fd, F_GETFL) & O_NONBLOCK) != 0);
    if (expect_nodelay) {
        int nodelay = 0;
        socklen_t length = sizeof(nodelay);
        REQUIRE(::getsockopt(a.fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &length) == 0);
        CHECK(nodelay != 0);
    }
    // The peer is the client, in both forms of the address.
    CHECK(a.peer.to_string() == local_address_of(client).to_string());
    CHECK(a.peer.to_address() == local_address_of(client).to_address());
    close_connection_socket(a.fd);
    CHECK(test::peer_closed(client));
    ::close(client);
}

TEST_CASE("accept_one gives an IPv4 socket with TCP_NODELAY, O_NONBLOCK, FD_CLOEXEC and its peer") {
    test::fd_leak_check leak_check;
    const listener l = listener::create(
        listen_spec::bind_to(bind_address::localhost(), bind_port::chosen_by_os()));
    check_accepted_socket(l, test::loopback_v4(l.listening_on().port), true);
}

TEST_CASE("accept_one gives an IPv6 socket with TCP_NODELAY, O_NONBLOCK, FD_CLOEXEC and its peer") {
    test::fd_leak_check leak_check;
    const listener l = listener::create(
        listen_spec::bind_to(bind_address::ipv6(in6addr_loopback), bind_port::chosen_by_os()));
    check_accepted_socket(l, l.listening_on_address(), true);
}

TEST_CASE("accept_one gives a Unix socket with O_NONBLOCK, FD_CLOEXEC and an unnamed peer") {
    test::fd_leak_check leak_check;
    const std::string name = test::unique_abstract_name("options");
    const listener l = listener::create(listen_spec::of_abstract_name(name));
    check_accepted_socket(l, test::unix_address("@" + name), false);
}

TEST_CASE("accept_one on an empty queue returns EAGAIN at once, without a descriptor") {
    test::fd_leak_check leak_check;
    const listener l = listener::create(
        listen_spec::bind_to(bind_address::localhost(), bind_port::chosen_by_os()));
    const accepted a = accept_one(l.fd(), nullptr);
    CHECK(a.fd == -1);
    CHECK(a.error_value == EAGAIN);
    CHECK(a.peer.family() == AF_UNSPEC);
}

TEST_CASE("accept_one on a descriptor that is not a listening socket reports the kernel's error") {
    test::fd_leak_check leak_check;
    const int not_listening = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(not_listening >= 0);
    const accepted a = accept_one(not_listening, nullptr);
    CHECK(a.fd == -1);
    CHECK(a.error_value == EINVAL);
    ::close(not_listening);
}

}  // namespace
}  // namespace berth::posix
