// The rows of docs/errors.md that berth::posix's listener refuses and no test in
// tests/posix checks both ways (the whole message and the descriptor count): a too
// long abstract name, a path through a file, a non-socket at a path with the
// stale-file flag, a supplied socket of the wrong family, inherited descriptors
// that are closed or not stream sockets, socket activation gone wrong, and the two
// permission errors, seen by an unprivileged child process.
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <grp.h>
#include <stdlib.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "berth/errors.hpp"
#include "berth/posix/listener.hpp"
#include "errors_support.hpp"
#include "posix_test_support.hpp"

namespace berth::errors_test {

namespace {

using posix::listen_spec;
using posix::listener;

// Creating a listener for `spec` throws listen_error with exactly `message` and
// leaves the process's descriptor count as it was.
void expect_refused(const listen_spec& spec, const std::string& message) {
    const std::size_t before = posix::test::open_fd_count();
    CHECK_THROWS_WITH_AS(static_cast<void>(listener::create(spec)), message.c_str(), listen_error);
    CHECK(posix::test::open_fd_count() == before);
}

// Points LISTEN_PID and LISTEN_FDS at the given values, unset at the end of scope.
class activation {
public:
    activation(const std::string& pid, const std::string& fds) {
        ::setenv("LISTEN_PID", pid.c_str(), 1);
        ::setenv("LISTEN_FDS", fds.c_str(), 1);
    }
    activation(const activation&) = delete;
    activation& operator=(const activation&) = delete;
    ~activation() {
        ::unsetenv("LISTEN_PID");
        ::unsetenv("LISTEN_FDS");
    }
};

// What an unprivileged child saw creating a listener: its message, or why the
// case could not run unprivileged.
struct unprivileged_result {
    std::string message;
    bool descriptors_unchanged = false;
    std::string skipped;  // non-empty: the reason
};

// Runs listener::create(spec) in a child process without root's privileges: as
// user and group 65534 (nobody) when the tests run as root, as is when they do
// not. Permission checks do not apply to root, so this is the only way to see
// them in CI.
unprivileged_result create_unprivileged(const listen_spec& spec) {
    int out[2] = {-1, -1};
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::close(out[0]);
        std::string report;
        if (::geteuid() == 0 &&
            (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)) {
            report = "S cannot drop root's privileges: " + std::string(std::strerror(errno));
        } else {
            const std::size_t before = posix::test::open_fd_count();
            try {
                static_cast<void>(listener::create(spec));
                report = "M(created)";
            } catch (const listen_error& e) {
                report = std::string("M") + e.what();
            }
            report.insert(0, posix::test::open_fd_count() == before ? "=" : "!");
        }
        const char* p = report.data();
        std::size_t left = report.size();
        while (left > 0) {
            const ssize_t n = ::write(out[1], p, left);
            if (n <= 0) break;
            p += n;
            left -= static_cast<std::size_t>(n);
        }
        ::_exit(0);
    }
    ::close(out[1]);
    std::string text;
    char buffer[512];
    for (ssize_t n; (n = ::read(out[0], buffer, sizeof(buffer))) > 0;)
        text.append(buffer, static_cast<std::size_t>(n));
    ::close(out[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    unprivileged_result r;
    REQUIRE(text.size() >= 2);
    if (text[0] == 'S') {
        r.skipped = text.substr(2);
        return r;
    }
    r.descriptors_unchanged = text[0] == '=';
    r.message = text.substr(2);
    return r;
}

}  // namespace

TEST_CASE("a too long abstract name is refused with its length, opening nothing") {
    const std::string name(108, 'z');
    expect_refused(listen_spec::of_abstract_name(name),
                   "bind unix:@" + name +
                       " failed: ENAMETOOLONG (File name too long); a Unix socket name holds at "
                       "most 107 bytes (sun_path); this one has 108: use a shorter or relative "
                       "path");
}

TEST_CASE("a Unix path through a regular file is refused as not a directory, opening nothing") {
    posix::test::temp_dir dir;
    std::ofstream(dir.file("f")) << "x";
    expect_refused(listen_spec::of_file(dir.file("f/s")),
                   "bind unix:" + dir.file("f/s") +
                       " failed: ENOTDIR (Not a directory); a component of the path is not a "
                       "directory");
}

TEST_CASE(
    "with remove_stale_socket_file a regular file at the path is left alone, opening "
    "nothing") {
    posix::test::temp_dir dir;
    std::ofstream(dir.file("s")) << "precious";
    expect_refused(listen_spec::of_file(dir.file("s")).remove_stale_socket_file(true),
                   "bind unix:" + dir.file("s") +
                       " failed: EADDRINUSE (Address already in use); the file exists and is not "
                       "a socket; it was left alone");
}

TEST_CASE("a supplied Unix socket given a TCP address is refused and closed") {
    const std::size_t before = posix::test::open_fd_count();
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    CHECK_THROWS_WITH_AS(
        static_cast<void>(listener::create(listen_spec::of_port(0).use_socket(fd))),
        "bind 0.0.0.0:0 failed: EINVAL (Invalid argument)", listen_error);
    CHECK(closed_with_ebadf(fd));
    CHECK(posix::test::open_fd_count() == before);
}

TEST_CASE("an inherited descriptor number that is not open is refused") {
    const int fd = ::fcntl(0, F_DUPFD_CLOEXEC, 900);
    REQUIRE(fd >= 0);
    ::close(fd);  // a number nobody holds
    expect_refused(
        listen_spec::of_listening_socket(fd),
        "adopt inherited socket " + std::to_string(fd) + " failed: EBADF (Bad file descriptor)");
}

TEST_CASE("an inherited datagram socket is refused with its reason and closed") {
    const std::size_t before = posix::test::open_fd_count();
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    CHECK_THROWS_WITH_AS(static_cast<void>(listener::create(listen_spec::of_listening_socket(fd))),
                         ("adopt inherited socket " + std::to_string(fd) +
                          " failed: EINVAL (Invalid argument); the socket is not a stream socket")
                             .c_str(),
                         listen_error);
    CHECK(closed_with_ebadf(fd));
    CHECK(posix::test::open_fd_count() == before);
}

TEST_CASE("systemd: without socket activation the systemd form is refused, opening nothing") {
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    expect_refused(listen_spec::of_systemd_socket(),
                   "take systemd socket 0 failed: EBADF (Bad file descriptor); LISTEN_PID and "
                   "LISTEN_FDS are not both set: the program was not started by socket "
                   "activation");
}

TEST_CASE("systemd: sockets passed to another process are refused, opening nothing") {
    const pid_t other = ::getpid() + 1;
    const activation env(std::to_string(other), "1");
    expect_refused(listen_spec::of_systemd_socket(),
                   "take systemd socket 0 failed: EBADF (Bad file descriptor); LISTEN_PID is " +
                       std::to_string(other) + ", not this process (" + std::to_string(::getpid()) +
                       "): the sockets were passed to another process");
}

TEST_CASE("systemd: a LISTEN_PID that is not a process id is refused, opening nothing") {
    const activation env("x7", "1");
    expect_refused(listen_spec::of_systemd_socket(),
                   "take systemd socket 0 failed: EBADF (Bad file descriptor); LISTEN_PID \"x7\" "
                   "is not a process id");
}

TEST_CASE("systemd: a LISTEN_FDS that is not a count is refused, opening nothing") {
    const activation env(std::to_string(::getpid()), "0");
    expect_refused(listen_spec::of_systemd_socket(),
                   "take systemd socket 0 failed: EBADF (Bad file descriptor); LISTEN_FDS \"0\" "
                   "is not a number from 1 to 4096");
}

TEST_CASE(
    "no permission: a Unix socket in a directory the user cannot write is refused, "
    "opening nothing") {
    posix::test::temp_dir dir;
    REQUIRE(::chmod(dir.path().c_str(), 0555) == 0);
    const unprivileged_result r = create_unprivileged(listen_spec::of_file(dir.file("s")));
    if (!r.skipped.empty()) {
        WARN_MESSAGE(false, "skipped: ", r.skipped);
        return;
    }
    CHECK(r.message == "bind unix:" + dir.file("s") +
                           " failed: EACCES (Permission denied); no permission to create the "
                           "socket file in \"" +
                           dir.path() + "\"");
    CHECK(r.descriptors_unchanged);
    REQUIRE(::chmod(dir.path().c_str(), 0700) == 0);
}

TEST_CASE(
    "no permission: a port below 1024 without privilege gets the capability hint, opening "
    "nothing") {
    const unprivileged_result r = create_unprivileged(
        listen_spec::bind_to(posix::bind_address::localhost(), posix::bind_port::number(80)));
    if (!r.skipped.empty()) {
        WARN_MESSAGE(false, "skipped: ", r.skipped);
        return;
    }
    CHECK(r.message ==
          "bind 127.0.0.1:80 failed: EACCES (Permission denied); ports below 1024 need root or "
          "the CAP_NET_BIND_SERVICE capability");
    CHECK(r.descriptors_unchanged);
}

}  // namespace berth::errors_test
