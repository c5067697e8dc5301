// Accepted sockets are non-blocking and close-on-exec, and TCP ones get TCP_NODELAY.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "berth/posix/accept_batch.hpp"
#include "berth/posix/listener.hpp"
#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

void check_accepted_socket(const listener& l, const socket_address& connect_address,
                           bool expect_nodelay) {
    const int client = test::connect_to(connect_address);
    if (connect_address.is_inet()) test::wait_accept_queue(l.fd(), 1);
    core::server core(test::accept_options(10, 1));
    accept_context context;
    context.listen_fd = l.fd();
    REQUIRE(run_accept_batch(context, core, test::begin_batch(core, 0), 0).accepted == 1);
    const std::vector<core::action> actions = test::drain(core);
    const auto starts = test::actions_of<core::actions::start_handler>(actions);
    REQUIRE(starts.size() == 1);
    const int fd = static_cast<int>(starts[0].socket);
    CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK((::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    if (expect_nodelay) {
        int nodelay = 0;
        socklen_t length = sizeof(nodelay);
        REQUIRE(::getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &length) == 0);
        CHECK(nodelay != 0);
    }
    test::close_sockets(core, actions, 0);
    CHECK(test::peer_closed(client));
    ::close(client);
}

TEST_CASE("an accepted IPv4 socket has TCP_NODELAY, O_NONBLOCK and FD_CLOEXEC") {
    test::fd_leak_check leak_check;
    const listener l = listener::create(
        listen_spec::bind_to(bind_address::localhost(), bind_port::chosen_by_os()));
    check_accepted_socket(l, test::loopback_v4(l.listening_on().port), true);
}

TEST_CASE("an accepted IPv6 socket has TCP_NODELAY, O_NONBLOCK and FD_CLOEXEC") {
    test::fd_leak_check leak_check;
    const listener l = listener::create(
        listen_spec::bind_to(bind_address::ipv6(in6addr_loopback), bind_port::chosen_by_os()));
    check_accepted_socket(l, l.listening_on_address(), true);
}

TEST_CASE("an accepted Unix socket has O_NONBLOCK and FD_CLOEXEC") {
    test::fd_leak_check leak_check;
    const std::string name = test::unique_abstract_name("options");
    const listener l = listener::create(listen_spec::of_abstract_name(name));
    check_accepted_socket(l, test::unix_address("@" + name), false);
}

}  // namespace
}  // namespace berth::posix
