/// @file
/// Where a server listens (SEMANTICS.md section 3) and how its socket is set up
/// (section 2). A plain value: building one touches no socket and never fails;
/// every check that can fail happens in `listener::create`, which reports it.
#pragma once

#include <cstdint>
#include <netinet/in.h>
#include <string>

#include "berth/posix/socket_address.hpp"

namespace berth::posix {

/// The address part of `listen_spec::bind_to`.
class bind_address {
public:
    /// 0.0.0.0: every IPv4 address of the machine (as Async's `All_addresses`).
    /// For every IPv6 (and, on Linux by default, IPv4) address, use `ipv6(in6addr_any)`.
    [[nodiscard]] static bind_address all_addresses();
    /// 127.0.0.1.
    [[nodiscard]] static bind_address localhost();
    /// @param address in network order, as in_addr holds it.
    /// @return that IPv4 address.
    [[nodiscard]] static bind_address ipv4(in_addr address);
    /// @param address the IPv6 address; in6addr_any for every address.
    /// @param scope_id the interface index of a link-local address; 0 for none.
    /// @return that IPv6 address.
    [[nodiscard]] static bind_address ipv6(const in6_addr& address, std::uint32_t scope_id = 0);

    /// The address with `port` filled in.
    /// @param port in host order.
    /// @return the sockaddr to bind.
    [[nodiscard]] socket_address with_port(std::uint16_t port) const;

private:
    explicit bind_address(const socket_address& address) : address_(address) {}
    socket_address address_;  ///< port 0
};

/// The port part of `listen_spec::bind_to`. `number(0)` is the same as `chosen_by_os()`.
class bind_port {
public:
    /// @param port in host order.
    /// @return that port.
    [[nodiscard]] static bind_port number(std::uint16_t port) { return bind_port(port); }
    /// Port 0: the OS picks a free one at bind (listening_on() reports it).
    [[nodiscard]] static bind_port chosen_by_os() { return bind_port(0); }
    /// The port number; 0 for chosen by the OS.
    [[nodiscard]] std::uint16_t value() const { return port_; }

private:
    explicit bind_port(std::uint16_t port) : port_(port) {}
    std::uint16_t port_;
};

/// Which form of listen_spec it is.
enum class listen_kind : std::uint8_t {
    inet,           ///< IPv4 or IPv6 TCP
    unix_path,      ///< a Unix stream socket at a file system path
    unix_abstract,  ///< a Linux abstract Unix name (leading NUL), written "@name"
    inherited,      ///< an already listening socket handed over by the caller
    systemd,        ///< an already listening socket from LISTEN_FDS (socket activation)
};

/// Where and how a server listens: one of the forms of listen_kind, with its
/// socket options. Copyable; it owns no descriptor until a listener is created
/// from it (a supplied or inherited socket changes hands then, not before).
class listen_spec {
public:
    /// All IPv4 addresses, port `port` (0: chosen by the OS).
    /// @param port in host order.
    /// @return the spec.
    [[nodiscard]] static listen_spec of_port(std::uint16_t port);
    /// All IPv4 addresses, a port the OS chooses: of_port(0).
    [[nodiscard]] static listen_spec of_port_chosen_by_os();
    /// @param address the address to bind.
    /// @param port the port to bind.
    /// @return the spec.
    [[nodiscard]] static listen_spec bind_to(const bind_address& address, bind_port port);
    /// A Unix stream socket at `path`, taken literally (a path starting with '@' is
    /// a file name, not an abstract name). Its length is checked at creation.
    /// @param path relative paths are the process's working directory's.
    /// @return the spec.
    [[nodiscard]] static listen_spec of_file(std::string path);
    /// A Linux abstract Unix name, given without the leading '@' or NUL.
    /// @param name any bytes; its length is checked at creation.
    /// @return the spec.
    [[nodiscard]] static listen_spec of_abstract_name(std::string name);
    /// A socket that is already bound and listening. The listener takes ownership
    /// of `fd` at creation, checks that it is a listening stream socket, makes it
    /// non-blocking and close-on-exec, and closes it if the check fails.
    /// @param fd stays the caller's until a listener is created from the spec.
    /// @return the spec.
    [[nodiscard]] static listen_spec of_listening_socket(int fd);
    /// The `index`-th socket passed by the service manager (LISTEN_FDS, LISTEN_PID),
    /// resolved at creation (systemd_sockets.hpp).
    /// @param index 0 for the first passed socket (fd 3).
    /// @return the spec.
    [[nodiscard]] static listen_spec of_systemd_socket(std::uint32_t index = 0);

    /// Use this caller-supplied, unbound socket instead of creating one (inet and
    /// Unix forms only). The listener takes ownership at creation, sets neither
    /// SO_REUSEADDR nor SO_REUSEPORT, does not retry, and closes the socket if bind
    /// or listen fails.
    /// @param fd a socket of the spec's family.
    /// @return `*this`.
    listen_spec& use_socket(int fd);
    /// SO_REUSEADDR on sockets the listener creates. Default on.
    /// @param on whether to set it.
    /// @return `*this`.
    listen_spec& reuse_address(bool on);
    /// SO_REUSEPORT on sockets the listener creates. Default off.
    /// @param on whether to set it.
    /// @return `*this`.
    listen_spec& reuse_port(bool on);
    /// Unix paths: before bind, remove the file at the path if it is a socket and a
    /// probe connection to it is refused (its server is gone). Default off.
    /// @param on whether to.
    /// @return `*this`.
    listen_spec& remove_stale_socket_file(bool on);
    /// Unix paths: remove the socket file when the listener closes, if it is still
    /// the file this listener bound. Default off.
    /// @param on whether to.
    /// @return `*this`.
    listen_spec& remove_file_on_close(bool on);

    /// Which form it is.
    [[nodiscard]] listen_kind kind() const { return kind_; }
    /// inet: the address to bind (port 0 means chosen by the OS).
    [[nodiscard]] const socket_address& inet_address() const { return inet_address_; }
    /// unix_path: the path; unix_abstract: the name without '@'.
    [[nodiscard]] const std::string& unix_name() const { return unix_name_; }
    /// inherited: the listening socket; inet and Unix forms: the supplied socket or -1.
    [[nodiscard]] int socket() const { return socket_; }
    /// systemd: which passed socket.
    [[nodiscard]] std::uint32_t systemd_index() const { return systemd_index_; }
    /// Whether SO_REUSEADDR is set (reuse_address).
    [[nodiscard]] bool reuses_address() const { return reuse_address_; }
    /// Whether SO_REUSEPORT is set (reuse_port).
    [[nodiscard]] bool reuses_port() const { return reuse_port_; }
    /// Whether a stale socket file is removed before bind.
    [[nodiscard]] bool removes_stale_socket_file() const { return remove_stale_; }
    /// Whether the socket file is removed at close.
    [[nodiscard]] bool removes_file_on_close() const { return remove_on_close_; }
    /// Whether the listener creates and binds the socket itself (retries, options).
    [[nodiscard]] bool creates_socket() const;

    /// The address as the text forms parse_listen_spec accepts, for messages:
    /// "0.0.0.0:8080", "[::1]:0", "unix:/run/x.sock", "unix:@name",
    /// "inherited socket 5", "systemd socket 0".
    [[nodiscard]] std::string to_string() const;

private:
    explicit listen_spec(listen_kind kind) : kind_(kind) {}

    listen_kind kind_;
    socket_address inet_address_;
    std::string unix_name_;
    int socket_ = -1;
    std::uint32_t systemd_index_ = 0;
    bool reuse_address_ = true;
    bool reuse_port_ = false;
    bool remove_stale_ = false;
    bool remove_on_close_ = false;
};

}  // namespace berth::posix
