// What remove_stale_socket_file does for a real backend's server (SEMANTICS.md
// section 3), written once and run by the Asio and libuv tests with their harness
// (the H of tests/posix/portable_scenarios.hpp): a socket file left by a server
// that is gone is removed and the server listens there; a live server's socket
// file and a regular file are left alone, and creation fails saying why.
// Needs tests/posix on the include path (loopback_peer.hpp, posix_test_support).
#pragma once

#include <cstddef>
#include <fstream>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "berth/errors.hpp"
#include "berth/line_protocol.hpp"
#include "berth/posix/listen_spec.hpp"
#include "loopback_peer.hpp"
#include "posix_test_support.hpp"

namespace berth::test {

namespace unix_files {

inline bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

inline core::options serving_two() {
    core::options o;
    o.max_connections = 2;
    o.on_handler_error = core::error_policy::ignore;
    return o;
}

/// The inode of the socket file at `path`, or 0 when there is none.
inline ino_t socket_inode(const std::string& path) {
    struct stat status {};
    if (::lstat(path.c_str(), &status) != 0 || !S_ISSOCK(status.st_mode)) return 0;
    return status.st_ino;
}

/// A Unix socket bound at `path` (listening if `listens`): its descriptor.
inline int bound_socket(const std::string& path, bool listens) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un name{};
    name.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof(name.sun_path));
    path.copy(name.sun_path, path.size());
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&name), sizeof(name)) == 0);
    if (listens) REQUIRE(::listen(fd, 4) == 0);
    return fd;
}

/// What a server that died leaves: its socket file, bound and closed, never
/// unlinked. Nobody listens on it: a connect is refused.
inline void leave_stale_socket_file(const std::string& path) {
    ::close(bound_socket(path, true));
    REQUIRE(socket_inode(path) != 0);
}

template <typename H>
std::string creation_error_of(H& h, const posix::listen_spec& spec) {
    try {
        static_cast<void>(h.create_sock(spec, serving_two(), line_protocol_sock_handler()));
    } catch (const listen_error& e) {
        return e.what();
    }
    return "(created)";
}

}  // namespace unix_files

template <typename H>
void a_stale_socket_file_is_removed_and_the_server_listens_there() {
    const std::size_t before = H::open_descriptors();
    {
        const posix::test::temp_dir dir;
        const std::string path = dir.file("server.sock");
        unix_files::leave_stale_socket_file(path);
        const ino_t stale = unix_files::socket_inode(path);
        H h;
        // Without the option the leftover file is in the way.
        CHECK(unix_files::has(unix_files::creation_error_of(h, posix::listen_spec::of_file(path)),
                              "failed: EADDRINUSE"));
        CHECK(unix_files::socket_inode(path) == stale);

        auto s = h.create_sock(posix::listen_spec::of_file(path).remove_stale_socket_file(true),
                               unix_files::serving_two(), line_protocol_sock_handler());
        CHECK(s.listening_on().path == path);
        // Bound where the stale file was (the bind above failed while it was
        // there), and the server answers on it.
        CHECK(unix_files::socket_inode(path) != 0);
        peer c(address::unix_path(path));
        c.send("after the stale file\nquit\n");
        CHECK(h.run_until([&] { return c.ended(); }, std::chrono::seconds(2)));
        CHECK(c.received() == "after the stale file\nbye\n");
        CHECK(h.close_all(s));
        CHECK(h.wound_down());
    }
    CHECK(H::open_descriptors() == before);
}

template <typename H>
void a_live_servers_socket_file_is_not_removed() {
    const std::size_t before = H::open_descriptors();
    {
        const posix::test::temp_dir dir;
        const std::string path = dir.file("server.sock");
        const int live = unix_files::bound_socket(path, true);
        const ino_t owned = unix_files::socket_inode(path);
        H h;
        const std::string error = unix_files::creation_error_of(
            h, posix::listen_spec::of_file(path).remove_stale_socket_file(true));
        CHECK(error == "bind unix:" + path +
                           " failed: EADDRINUSE (Address already in use); a server is listening "
                           "on this socket file");
        CHECK(unix_files::socket_inode(path) == owned);
        // The live server still owns its file: a client reaches it.
        const int client = posix::test::connect_to(posix::test::unix_address(path));
        const int accepted = ::accept4(live, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        CHECK(accepted >= 0);
        if (accepted >= 0) ::close(accepted);
        ::close(client);
        ::close(live);
        CHECK(h.wound_down());
    }
    CHECK(H::open_descriptors() == before);
}

template <typename H>
void a_regular_file_at_the_path_is_not_removed() {
    const std::size_t before = H::open_descriptors();
    {
        const posix::test::temp_dir dir;
        const std::string path = dir.file("server.sock");
        std::ofstream(path) << "precious";
        H h;
        const std::string error = unix_files::creation_error_of(
            h, posix::listen_spec::of_file(path).remove_stale_socket_file(true));
        CHECK_MESSAGE(unix_files::has(error, "bind unix:" + path + " failed: EADDRINUSE"), error);
        CHECK_MESSAGE(
            unix_files::has(error, "the file exists and is not a socket; it was left alone"),
            error);
        std::string content;
        std::ifstream(path) >> content;
        CHECK(content == "precious");
        CHECK(h.wound_down());
    }
    CHECK(H::open_descriptors() == before);
}

}  // namespace berth::test
