// What the real-backend harnesses (Asio, libuv) share: the process's descriptor
// count, the clock, a port that something else holds, and a scratch directory for
// Unix socket files. Linux only, as the real backends are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "berth/core/types.hpp"

namespace berth::conformance::posix_support {

/// Entries of /proc/self/fd (the directory stream's own descriptor included, the
/// same on every call).
[[nodiscard]] std::size_t process_descriptors();

[[nodiscard]] core::time_ns steady_now_ns();

/// A TCP socket listening on 127.0.0.1 at a port the OS chose, without
/// SO_REUSEADDR, so that binding that fixed port again fails with EADDRINUSE.
class occupied_port {
public:
    occupied_port() = default;
    occupied_port(const occupied_port&) = delete;
    occupied_port& operator=(const occupied_port&) = delete;
    ~occupied_port() { release(); }

    /// Returns "127.0.0.1:PORT". Throws std::system_error if the socket fails.
    std::string take();
    void release();

private:
    int fd_ = -1;
};

/// A fresh directory under the temporary directory, removed with its contents by
/// release (a server does not remove its socket file unless asked to).
class scratch_directory {
public:
    scratch_directory() = default;
    scratch_directory(const scratch_directory&) = delete;
    scratch_directory& operator=(const scratch_directory&) = delete;
    ~scratch_directory() { release(); }

    /// Creates it on the first call. Throws std::system_error if it cannot.
    const std::string& path();
    void release();

private:
    std::string path_;
};

}  // namespace berth::conformance::posix_support
