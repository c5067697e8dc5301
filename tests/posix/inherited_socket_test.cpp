// An already listening socket handed over by the caller is served as is, after
// checking that it is a listening stream socket; one that is not is closed.
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#include "berth/errors.hpp"
#include "berth/posix/listener.hpp"
#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

int listening_tcp_socket() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    const socket_address address = test::loopback_v4(0);
    REQUIRE(::bind(fd, address.data(), address.length()) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    return fd;
}

TEST_CASE("an inherited listening socket is served as is") {
    test::fd_leak_check leak_check;
    const int fd = listening_tcp_socket();
    listener l = listener::create(listen_spec::of_listening_socket(fd));
    CHECK(l.fd() == fd);
    CHECK(l.family() == AF_INET);
    CHECK(l.listening_on().port == l.listening_on_address().port());
    CHECK(l.listening_on().port != 0);
    CHECK((::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    const int client = test::connect_to(test::loopback_v4(l.listening_on().port));
    const int accepted = ::accept4(l.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    CHECK(accepted >= 0);
    if (accepted >= 0) ::close(accepted);
    ::close(client);
}

TEST_CASE("an inherited Unix listening socket reports its path") {
    test::fd_leak_check leak_check;
    test::temp_dir dir;
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    const socket_address address = test::unix_address(dir.file("s"));
    REQUIRE(::bind(fd, address.data(), address.length()) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    const listener l = listener::create(listen_spec::of_listening_socket(fd));
    CHECK(l.listening_on().is_unix);
    CHECK(l.listening_on().path == dir.file("s"));
}

TEST_CASE("an inherited socket that is not listening is refused and closed") {
    test::fd_leak_check leak_check;
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    try {
        static_cast<void>(listener::create(listen_spec::of_listening_socket(fd)));
        FAIL("a socket that does not listen was accepted");
    } catch (const listen_error& e) {
        CHECK(e.error_value() == EINVAL);
        CHECK(std::string(e.what()) ==
              "adopt inherited socket " + std::to_string(fd) +
                  " failed: EINVAL (Invalid argument); the socket is not listening: call "
                  "listen(2) on it first, or pass an unbound socket with use_socket() to have "
                  "it bound");
    }
    CHECK_FALSE(test::is_open_fd(fd));
}

TEST_CASE("an inherited datagram socket is refused and closed") {
    test::fd_leak_check leak_check;
    const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(fd >= 0);
    CHECK_THROWS_WITH_AS(static_cast<void>(listener::create(listen_spec::of_listening_socket(fd))),
                         doctest::Contains("the socket is not a stream socket"), listen_error);
    CHECK_FALSE(test::is_open_fd(fd));
}

TEST_CASE("an inherited descriptor that is not a socket is refused and closed") {
    test::fd_leak_check leak_check;
    int pipe_fds[2] = {-1, -1};
    REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
    CHECK_THROWS_WITH_AS(
        static_cast<void>(listener::create(listen_spec::of_listening_socket(pipe_fds[0]))),
        ("adopt inherited socket " + std::to_string(pipe_fds[0]) +
         " failed: ENOTSOCK (Socket operation on non-socket); the descriptor is not a socket")
            .c_str(),
        listen_error);
    CHECK_FALSE(test::is_open_fd(pipe_fds[0]));
    ::close(pipe_fds[1]);
}

}  // namespace
}  // namespace berth::posix
