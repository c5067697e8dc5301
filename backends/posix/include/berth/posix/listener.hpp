/// @file
/// The listening socket of one server: created, bound and listening before
/// `create` returns (errors are thrown synchronously, for every family), closed
/// once, and able to say where it listens.
#pragma once

#include <cstdint>
#include <string>
#include <sys/socket.h>
#include <sys/types.h>
#include <utility>

#include "berth/address.hpp"
#include "berth/errors.hpp"
#include "berth/posix/listen_spec.hpp"
#include "berth/posix/socket_address.hpp"

namespace berth::posix {

/// With port 0, bind or listen can still meet EADDRINUSE (another SO_REUSEADDR
/// socket took the port the OS picked): creation retries with a fresh socket up
/// to 10 times (SEMANTICS.md section 2), so it makes at most 11 attempts.
inline constexpr std::uint32_t port_chosen_by_os_retries_max = 10;
/// The most sockets a port 0 creation tries.
inline constexpr std::uint32_t port_chosen_by_os_attempts_max = 1 + port_chosen_by_os_retries_max;

/// The system calls creation makes that a test cannot make fail on demand. Tests
/// (and the conformance suite) replace them; everyone else keeps the defaults.
struct listen_calls {
    int (*bind)(int fd, const sockaddr* address, socklen_t length) = ::bind;  ///< bind(2)
    int (*listen)(int fd, int backlog) = ::listen;                            ///< listen(2)
};

/// What `listener::listening_on` returns (SEMANTICS.md section 3).
using listen_endpoint = berth::listen_endpoint;
/// What `listener::create` throws.
using listen_error = berth::listen_error;

/// The socket a listen_spec hands to the server instead of one the listener
/// creates: a supplied one (use_socket), an inherited one (of_listening_socket) or
/// the service manager's (of_systemd_socket, resolved from LISTEN_PID and LISTEN_FDS
/// when this is made). SEMANTICS.md section 2: the server owns it from the moment
/// its creation starts, so a creation makes this first, before it checks anything,
/// and every failure after that closes the socket, exactly once. Empty for a spec
/// whose socket the listener creates, and for a systemd spec whose environment
/// passes no such socket: there is nothing to own.
class handed_over_socket {
public:
    /// Takes the socket `spec` hands over, if any: from here it is owned.
    /// @param spec the listen specification; only read.
    explicit handed_over_socket(const listen_spec& spec);
    /// Moves the ownership; `other` is left empty.
    /// @param other the owner so far.
    handed_over_socket(handed_over_socket&& other) noexcept;
    handed_over_socket& operator=(handed_over_socket&&) = delete;
    handed_over_socket(const handed_over_socket&) = delete;
    handed_over_socket& operator=(const handed_over_socket&) = delete;
    /// Closes the socket unless it was released.
    ~handed_over_socket();

    /// The descriptor, or -1.
    [[nodiscard]] int fd() const { return fd_; }

private:
    friend class listener;
    int release() { return std::exchange(fd_, -1); }

    int fd_ = -1;
    std::string systemd_error_;  // systemd: why there is no socket to own
};

/// Owns one listening socket. Move-only; not thread safe.
class listener {
public:
    /// Binds and listens as `spec` says, with `backlog` passed to listen(2) (the
    /// kernel may queue more or fewer). Nothing stays open after a failure (a
    /// supplied or inherited socket is closed too: the listener owned it).
    /// Precondition: 0 <= backlog <= core::backlog_limit.
    /// @param spec where and how; a supplied or inherited socket becomes the
    ///   listener's.
    /// @param backlog for listen(2).
    /// @param calls the system calls to make; the defaults outside tests.
    /// @return the open listener.
    /// @throws listen_error naming the step, the address, the error and a hint, e.g.
    ///   "bind 127.0.0.1:80 failed: EACCES (Permission denied); ports below 1024
    ///   need root or the CAP_NET_BIND_SERVICE capability".
    [[nodiscard]] static listener create(const listen_spec& spec, int backlog = 64,
                                         const listen_calls& calls = {});
    /// The same, for a creation that took `handed` (made of `spec`) before its own
    /// checks: the listener keeps it on success and closes it on failure.
    [[nodiscard]] static listener create(handed_over_socket handed, const listen_spec& spec,
                                         int backlog = 64, const listen_calls& calls = {});

    /// Takes `other`'s socket; `other` is left closed.
    /// @param other the listener moved from.
    listener(listener&& other) noexcept;
    /// Closes this listener's socket, then takes `other`'s.
    /// @param other the listener moved from; left closed.
    /// @return `*this`.
    listener& operator=(listener&& other) noexcept;
    listener(const listener&) = delete;
    listener& operator=(const listener&) = delete;
    /// close().
    ~listener();

    /// The listening socket, non-blocking and close-on-exec; -1 once closed.
    /// Accepting on it directly bypasses the server's limits and error policy.
    [[nodiscard]] int fd() const { return fd_; }
    /// Whether close() has not run.
    [[nodiscard]] bool is_open() const { return fd_ >= 0; }
    /// AF_INET, AF_INET6 or AF_UNIX.
    [[nodiscard]] int family() const { return family_; }

    /// Computed once at creation; still valid after close.
    [[nodiscard]] const listen_endpoint& listening_on() const { return listening_on_; }

    /// Asks the socket (getsockname) each time.
    /// @throws std::logic_error "listening_on_address: the listener (listening on
    ///   ENDPOINT) is closed" after close.
    [[nodiscard]] socket_address listening_on_address() const;

    /// Closes the socket and, if the spec asked for it, removes its file when it is
    /// still the one this listener bound. Idempotent.
    void close();

private:
    listener() = default;
    [[nodiscard]] static listener adopt(handed_over_socket handed, const std::string& address);

    int fd_ = -1;
    int family_ = AF_UNSPEC;
    listen_endpoint listening_on_;
    std::string remove_on_close_path_;  ///< empty: nothing to remove
    dev_t bound_device_ = 0;
    ino_t bound_inode_ = 0;
};

}  // namespace berth::posix
