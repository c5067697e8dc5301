// Socket activation: LISTEN_PID and LISTEN_FDS are parsed strictly, and a socket
// passed at fd 3 is served.
#include "berth/posix/systemd_sockets.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#include "berth/errors.hpp"
#include "berth/posix/listener.hpp"
#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

TEST_CASE("valid LISTEN_PID and LISTEN_FDS give the sockets from fd 3") {
    const systemd_sockets s = parse_systemd_sockets("1234", "2", 1234);
    CHECK(s.error.empty());
    CHECK(s.first_fd == 3);
    CHECK(s.count == 2);
}

TEST_CASE("missing or malformed LISTEN_PID and LISTEN_FDS are refused with a reason") {
    CHECK(parse_systemd_sockets(nullptr, "1", 7).error ==
          "LISTEN_PID and LISTEN_FDS are not both set: the program was not started by socket "
          "activation");
    CHECK(parse_systemd_sockets("7", nullptr, 7).count == 0);
    CHECK(parse_systemd_sockets("x7", "1", 7).error == "LISTEN_PID \"x7\" is not a process id");
    CHECK(parse_systemd_sockets("7 ", "1", 7).error == "LISTEN_PID \"7 \" is not a process id");
    CHECK(parse_systemd_sockets("0", "1", 7).error == "LISTEN_PID \"0\" is not a process id");
    CHECK(parse_systemd_sockets("8", "1", 7).error ==
          "LISTEN_PID is 8, not this process (7): the sockets were passed to another process");
    CHECK(parse_systemd_sockets("7", "0", 7).error ==
          "LISTEN_FDS \"0\" is not a number from 1 to 4096");
    CHECK(parse_systemd_sockets("7", "-1", 7).count == 0);
    CHECK(parse_systemd_sockets("7", "4097", 7).count == 0);
    CHECK(parse_systemd_sockets("7", "", 7).count == 0);
}

// Moves a listening socket to fd 3 as systemd would, saving whatever was there.
class fd3_slot {
public:
    explicit fd3_slot(int fd) {
        if (fd == 3) return;  // 3 was free, and the socket took it
        if (test::is_open_fd(3)) saved_ = ::fcntl(3, F_DUPFD_CLOEXEC, 10);
        REQUIRE(::dup2(fd, 3) == 3);
        ::close(fd);
    }
    fd3_slot(const fd3_slot&) = delete;
    fd3_slot& operator=(const fd3_slot&) = delete;
    ~fd3_slot() {
        if (saved_ >= 0) {
            ::dup2(saved_, 3);
            ::close(saved_);
        }
        ::unsetenv("LISTEN_PID");
        ::unsetenv("LISTEN_FDS");
    }

private:
    int saved_ = -1;
};

TEST_CASE("a socket passed through LISTEN_FDS at fd 3 is served") {
    test::fd_leak_check leak_check;
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    const socket_address address = test::loopback_v4(0);
    REQUIRE(::bind(fd, address.data(), address.length()) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    const fd3_slot slot(fd);
    ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    ::setenv("LISTEN_FDS", "1", 1);
    listener l = listener::create(listen_spec::of_systemd_socket());
    CHECK(l.fd() == 3);
    CHECK(l.listening_on().port != 0);
    CHECK(l.listening_on().port == l.listening_on_address().port());
    CHECK_THROWS_WITH_AS(static_cast<void>(listener::create(listen_spec::of_systemd_socket(1))),
                         "take systemd socket 1 failed: EBADF (Bad file descriptor); LISTEN_FDS "
                         "passes only 1 socket(s)",
                         listen_error);
    l.close();
    CHECK_FALSE(test::is_open_fd(3));
}

TEST_CASE("without socket activation the systemd form fails clearly") {
    test::fd_leak_check leak_check;
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    CHECK_THROWS_WITH_AS(static_cast<void>(listener::create(listen_spec::of_systemd_socket())),
                         doctest::Contains("the program was not started by socket activation"),
                         listen_error);
}

}  // namespace
}  // namespace berth::posix
