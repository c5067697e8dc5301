// remove_stale_socket_file removes a socket file only when no server listens on
// it; a live server's file and anything that is not a socket are left alone.
#include "berth/posix/stale_socket_file.hpp"

#include <cerrno>
#include <fstream>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth/errors.hpp"
#include "berth/posix/listener.hpp"
#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

bool is_socket_file(const std::string& path) {
    struct stat status {};
    return ::lstat(path.c_str(), &status) == 0 && S_ISSOCK(status.st_mode);
}

// A socket file whose server is gone: a listener closed without removing it.
void leave_dead_socket(const std::string& path) {
    listener l = listener::create(listen_spec::of_file(path));
    l.close();
    REQUIRE(is_socket_file(path));
}

TEST_CASE("by default a leftover socket file makes bind fail with a hint to the option") {
    test::fd_leak_check leak_check;
    test::temp_dir dir;
    const std::string path = dir.file("s");
    leave_dead_socket(path);
    CHECK_THROWS_WITH_AS(static_cast<void>(listener::create(listen_spec::of_file(path))),
                         ("bind unix:" + path +
                          " failed: EADDRINUSE (Address already in use); the file exists: remove "
                          "it, or set remove_stale_socket_file to remove it when no server "
                          "listens on it")
                             .c_str(),
                         listen_error);
    CHECK(is_socket_file(path));
}

TEST_CASE("a dead socket file is removed before bind when asked") {
    test::fd_leak_check leak_check;
    test::temp_dir dir;
    const std::string path = dir.file("s");
    leave_dead_socket(path);
    const listener l = listener::create(listen_spec::of_file(path).remove_stale_socket_file(true));
    CHECK(l.listening_on().path == path);
    const int client = test::connect_to(test::unix_address(path));
    ::close(client);
}

TEST_CASE("a live server's socket file is not removed") {
    test::fd_leak_check leak_check;
    test::temp_dir dir;
    const std::string path = dir.file("s");
    const listener live = listener::create(listen_spec::of_file(path));
    CHECK_THROWS_WITH_AS(
        static_cast<void>(
            listener::create(listen_spec::of_file(path).remove_stale_socket_file(true))),
        ("bind unix:" + path +
         " failed: EADDRINUSE (Address already in use); a server is listening on this socket "
         "file")
            .c_str(),
        listen_error);
    CHECK(remove_stale_socket_file(path) == stale_check::alive);
    // The live server still owns its file: a client reaches it.
    const int client = test::connect_to(test::unix_address(path));
    const int accepted = ::accept4(live.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    CHECK(accepted >= 0);
    if (accepted >= 0) ::close(accepted);
    ::close(client);
}

TEST_CASE("a regular file at the path is not removed") {
    test::fd_leak_check leak_check;
    test::temp_dir dir;
    const std::string path = dir.file("s");
    std::ofstream(path) << "precious";
    CHECK_THROWS_WITH_AS(
        static_cast<void>(
            listener::create(listen_spec::of_file(path).remove_stale_socket_file(true))),
        doctest::Contains("the file exists and is not a socket; it was left alone"), listen_error);
    std::string content;
    std::ifstream(path) >> content;
    CHECK(content == "precious");
    CHECK(remove_stale_socket_file(path) == stale_check::not_a_socket);
}

TEST_CASE("remove_stale_socket_file reports a missing path and removes a dead socket") {
    test::fd_leak_check leak_check;
    test::temp_dir dir;
    const std::string path = dir.file("s");
    CHECK(remove_stale_socket_file(path) == stale_check::absent);
    leave_dead_socket(path);
    CHECK(remove_stale_socket_file(path) == stale_check::removed);
    CHECK_FALSE(is_socket_file(path));
}

}  // namespace
}  // namespace berth::posix
