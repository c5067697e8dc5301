// What every berth::posix test needs: descriptor leak checks, loopback clients and
// temporary directories.
#pragma once

#include <cstddef>
#include <string>

#include <doctest/doctest.h>

#include "berth/posix/socket_address.hpp"

namespace berth::posix::test {

/// Open descriptors of this process, from /proc/self/fd.
[[nodiscard]] std::size_t open_fd_count();

/// Checks at the end of its scope that the test left no descriptor open (or
/// closed one it did not own).
class fd_leak_check {
public:
    fd_leak_check() : before_(open_fd_count()) {}
    fd_leak_check(const fd_leak_check&) = delete;
    fd_leak_check& operator=(const fd_leak_check&) = delete;
    ~fd_leak_check() { CHECK(open_fd_count() == before_); }

private:
    std::size_t before_;
};

/// Whether `fd` is an open descriptor.
[[nodiscard]] bool is_open_fd(int fd);

/// A blocking client connected to `address` (TCP or Unix); fails the test on error.
[[nodiscard]] int connect_to(const socket_address& address);

/// The Unix address of a path, or of an abstract name when it starts with '@'.
[[nodiscard]] socket_address unix_address(const std::string& name);

/// 127.0.0.1:port.
[[nodiscard]] socket_address loopback_v4(std::uint16_t port);

/// Waits (bounded, without sleeping) until the TCP listener has at least `count`
/// connections in its accept queue, so a batch sees every client that connected.
void wait_accept_queue(int listen_fd, std::uint32_t count);

/// Whether the peer of `fd` has closed: a read returns end of stream (or a reset)
/// within one second.
[[nodiscard]] bool peer_closed(int fd);

/// A fresh directory under /tmp, removed with its contents at the end of scope.
class temp_dir {
public:
    temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir();
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] std::string file(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

/// An abstract name no other test process uses.
[[nodiscard]] std::string unique_abstract_name(const char* what);

}  // namespace berth::posix::test
