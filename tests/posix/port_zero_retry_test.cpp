// With port 0, EADDRINUSE from bind or listen is retried with a fresh socket, up
// to port_chosen_by_os_attempts_max sockets; a fixed port is never retried.
#include <cerrno>
#include <string>

#include "berth/errors.hpp"
#include "berth/posix/listener.hpp"
#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

// The seam: the first `failures_left` calls fail with EADDRINUSE, as when another
// SO_REUSEADDR socket takes the port the OS picked; the rest are the real calls.
int failures_left = 0;
int calls_made = 0;
int fds_seen[16] = {};

int bind_in_use(int fd, const sockaddr* address, socklen_t length) {
    if (calls_made < 16) fds_seen[calls_made] = fd;
    ++calls_made;
    if (failures_left > 0) {
        --failures_left;
        errno = EADDRINUSE;
        return -1;
    }
    return ::bind(fd, address, length);
}

int listen_in_use(int fd, int backlog) {
    ++calls_made;
    if (failures_left > 0) {
        --failures_left;
        errno = EADDRINUSE;
        return -1;
    }
    return ::listen(fd, backlog);
}

void reset_seam(int failures) {
    failures_left = failures;
    calls_made = 0;
}

listen_spec localhost_port(std::uint16_t port) {
    return listen_spec::bind_to(bind_address::localhost(), bind_port::number(port));
}

TEST_CASE("port 0 retries EADDRINUSE from bind with a fresh socket until it succeeds") {
    test::fd_leak_check leak_check;
    reset_seam(3);
    listen_calls calls;
    calls.bind = bind_in_use;
    listener l = listener::create(localhost_port(0), 64, calls);
    CHECK(calls_made == 4);
    CHECK(l.listening_on().port != 0);
    // Each attempt used a new socket: the failed ones were closed before the next
    // was created, so the same number comes back, and only one stays open.
    CHECK(fds_seen[0] == fds_seen[3]);
}

TEST_CASE("port 0 retries EADDRINUSE from listen too") {
    test::fd_leak_check leak_check;
    reset_seam(2);
    listen_calls calls;
    calls.listen = listen_in_use;
    listener l = listener::create(localhost_port(0), 64, calls);
    CHECK(calls_made == 3);
    CHECK(l.is_open());
}

TEST_CASE("port 0 gives up after the maximum number of attempts and says how many") {
    test::fd_leak_check leak_check;
    reset_seam(1000);
    listen_calls calls;
    calls.bind = bind_in_use;
    try {
        static_cast<void>(listener::create(localhost_port(0), 64, calls));
        FAIL("creation succeeded");
    } catch (const listen_error& e) {
        CHECK(calls_made == static_cast<int>(port_chosen_by_os_attempts_max));
        CHECK(e.attempts() == port_chosen_by_os_attempts_max);
        CHECK(e.error_value() == EADDRINUSE);
        CHECK(std::string(e.what()) ==
              "bind 127.0.0.1:0 failed after 11 attempts: EADDRINUSE (Address already in use); "
              "every port the OS chose was taken before listen completed");
    }
}

TEST_CASE("a fixed port is not retried") {
    test::fd_leak_check leak_check;
    reset_seam(1000);
    listen_calls calls;
    calls.bind = bind_in_use;
    CHECK_THROWS_AS(static_cast<void>(listener::create(localhost_port(1), 64, calls)),
                    listen_error);
    CHECK(calls_made == 1);
}

TEST_CASE("a caller-supplied socket is not retried even with port 0") {
    test::fd_leak_check leak_check;
    reset_seam(1000);
    listen_calls calls;
    calls.bind = bind_in_use;
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    CHECK_THROWS_AS(
        static_cast<void>(listener::create(localhost_port(0).use_socket(fd), 64, calls)),
        listen_error);
    CHECK(calls_made == 1);
    CHECK_FALSE(test::is_open_fd(fd));
}

}  // namespace
}  // namespace berth::posix
