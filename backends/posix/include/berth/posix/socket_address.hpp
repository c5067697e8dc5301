/// @file
/// A socket address as the kernel takes and gives it (sockaddr), for the system
/// calls; berth::address is the same address as users see it, and does the printing.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <sys/socket.h>

#include "berth/address.hpp"

namespace berth::posix {

/// An address as the kernel reports it (getsockname, accept): IPv4, IPv6, a Unix
/// path, a Linux abstract name, or an unnamed Unix socket. A plain value: no
/// allocation, copyable, fits any of those families.
class socket_address {
public:
    /// The empty address (family AF_UNSPEC); prints as "(none)".
    socket_address() = default;

    /// Copies `length` bytes of `address`. Precondition: length <= sizeof(sockaddr_storage).
    /// @param address not kept.
    /// @param length as the kernel reported it.
    socket_address(const sockaddr* address, socklen_t length);
    /// The sockaddr of a portable address (AF_UNSPEC for the empty one).
    /// @param a the address to convert.
    explicit socket_address(const address& a);

    /// The portable form; the empty address for a family berth does not listen on.
    [[nodiscard]] address to_address() const;

    /// AF_INET, AF_INET6, AF_UNIX or AF_UNSPEC.
    [[nodiscard]] int family() const { return storage_.ss_family; }
    /// For the system calls; points into this object, valid while it is.
    [[nodiscard]] const sockaddr* data() const;
    /// The bytes of data() in use.
    [[nodiscard]] socklen_t length() const { return length_; }
    /// Whether it is IPv4 or IPv6.
    [[nodiscard]] bool is_inet() const { return family() == AF_INET || family() == AF_INET6; }

    /// The port of an IPv4 or IPv6 address, in host order; 0 for other families.
    [[nodiscard]] std::uint16_t port() const;

    /// "127.0.0.1:8080", "[::1]:8080", "[fe80::1%2]:80", "/run/x.sock", "@name",
    /// "(unnamed)" for an unbound Unix socket, "(none)" for the empty address.
    [[nodiscard]] std::string to_string() const;

    /// Writes to_string().
    /// @param os the stream written to.
    /// @param address the address written.
    /// @return `os`.
    friend std::ostream& operator<<(std::ostream& os, const socket_address& address);

private:
    sockaddr_storage storage_{};
    socklen_t length_ = 0;
};

}  // namespace berth::posix
