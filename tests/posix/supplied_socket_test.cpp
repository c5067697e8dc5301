// A caller-supplied unbound socket: the listener binds it without setting
// SO_REUSEADDR, owns it, and closes it if bind or listen fails.
#include <cerrno>
#include <fcntl.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#include "berth/errors.hpp"
#include "berth/posix/listener.hpp"
#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

int reuse_address_of(int fd) {
    int value = -1;
    socklen_t length = sizeof(value);
    REQUIRE(::getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &value, &length) == 0);
    return value;
}

TEST_CASE("a supplied socket is bound as given, without SO_REUSEADDR") {
    test::fd_leak_check leak_check;
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);  // blocking, inheritable on purpose
    REQUIRE(fd >= 0);
    listener l = listener::create(
        listen_spec::bind_to(bind_address::localhost(), bind_port::chosen_by_os()).use_socket(fd));
    CHECK(l.fd() == fd);
    CHECK(reuse_address_of(fd) == 0);
    CHECK((::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    CHECK((::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(l.listening_on().port == l.listening_on_address().port());
    l.close();
    CHECK_FALSE(test::is_open_fd(fd));
}

TEST_CASE("a supplied socket with SO_REUSEADDR set by the caller keeps it") {
    test::fd_leak_check leak_check;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    const int on = 1;
    REQUIRE(::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == 0);
    const listener l = listener::create(
        listen_spec::bind_to(bind_address::localhost(), bind_port::chosen_by_os()).use_socket(fd));
    CHECK(reuse_address_of(l.fd()) != 0);
}

TEST_CASE("a supplied socket is closed when bind fails") {
    test::fd_leak_check leak_check;
    const listener taken = listener::create(
        listen_spec::bind_to(bind_address::localhost(), bind_port::chosen_by_os()));
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    try {
        static_cast<void>(
            listener::create(listen_spec::bind_to(bind_address::localhost(),
                                                  bind_port::number(taken.listening_on().port))
                                 .use_socket(fd)));
        FAIL("bind succeeded on a port in use");
    } catch (const listen_error& e) {
        CHECK(e.error_value() == EADDRINUSE);
        CHECK(e.attempts() == 1);
    }
    CHECK_FALSE(test::is_open_fd(fd));
}

TEST_CASE("a supplied socket of the wrong family is closed when bind fails") {
    test::fd_leak_check leak_check;
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    CHECK_THROWS_AS(static_cast<void>(listener::create(listen_spec::of_port(0).use_socket(fd))),
                    listen_error);
    CHECK_FALSE(test::is_open_fd(fd));
}

TEST_CASE("a supplied Unix socket binds a path") {
    test::fd_leak_check leak_check;
    test::temp_dir dir;
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    const listener l = listener::create(listen_spec::of_file(dir.file("s")).use_socket(fd));
    CHECK(l.listening_on().path == dir.file("s"));
}

}  // namespace
}  // namespace berth::posix
