#include "berth/posix/listener.hpp"

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <utility>

#include "berth/core/detail/assert.hpp"
#include "berth/core/options.hpp"
#include "berth/errors.hpp"
#include "berth/posix/stale_socket_file.hpp"
#include "berth/posix/systemd_sockets.hpp"

namespace berth::posix {

namespace {

// Closes the descriptor on every failure path; release() hands it over on success.
class fd_guard {
public:
    explicit fd_guard(int fd) : fd_(fd) {}
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    ~fd_guard() {
        if (fd_ >= 0) ::close(fd_);
    }
    [[nodiscard]] int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

constexpr std::size_t sun_path_size = sizeof(sockaddr_un{}.sun_path);

std::string directory_of(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

// The hint that turns an errno into something the operator can act on; empty when
// the error's own text says it all. `stale` is what the stale-file check found.
std::string hint_for(const std::string& operation, const listen_spec& spec, int error_value,
                     stale_check stale) {
    const bool is_inet = spec.kind() == listen_kind::inet;
    const bool is_path = spec.kind() == listen_kind::unix_path;
    const std::uint16_t port = is_inet ? spec.inet_address().port() : 0;
    switch (error_value) {
        case EACCES:
            if (is_inet && port != 0 && port < 1024) {
                return "ports below 1024 need root or the CAP_NET_BIND_SERVICE capability";
            }
            if (is_path) {
                return "no permission to create the socket file in \"" +
                       directory_of(spec.unix_name()) + "\"";
            }
            return {};
        case EADDRINUSE:
            if (is_inet && port == 0) {
                return "every port the OS chose was taken before listen completed";
            }
            if (is_inet) {
                return "another socket is already bound to this address and port: stop it, "
                       "choose another port, or use port 0 to let the OS choose";
            }
            if (is_path && stale == stale_check::alive) {
                return "a server is listening on this socket file";
            }
            if (is_path && stale == stale_check::not_a_socket) {
                return "the file exists and is not a socket; it was left alone";
            }
            if (is_path) {
                return "the file exists: remove it, or set remove_stale_socket_file to remove "
                       "it when no server listens on it";
            }
            return "another socket holds this abstract name";
        case ENOENT:
            if (is_path && operation == "bind") {
                return "the directory \"" + directory_of(spec.unix_name()) + "\" does not exist";
            }
            return {};
        case ENOTDIR: return "a component of the path is not a directory";
        case EROFS: return "the file system holding the socket file is read-only";
        case ENAMETOOLONG:
            return "a Unix socket name holds at most " + std::to_string(sun_path_size - 1) +
                   " bytes (sun_path); this one has " + std::to_string(spec.unix_name().size()) +
                   ": use a shorter or relative path";
        case EADDRNOTAVAIL: return "no interface of this machine has this address";
        case EAFNOSUPPORT: return "this machine does not support the address family";
        default: return {};
    }
}

[[noreturn]] void fail(const std::string& operation, const listen_spec& spec, int error_value,
                       std::uint32_t attempts = 1, stale_check stale = stale_check::absent) {
    throw listen_error(operation, spec.to_string(), error_value,
                       hint_for(operation, spec, error_value, stale), attempts);
}

[[noreturn]] void fail_with_hint(const std::string& operation, const std::string& address,
                                 int error_value, std::string hint) {
    throw listen_error(operation, address, error_value, std::move(hint));
}

struct bind_target {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_UNSPEC;

    [[nodiscard]] const sockaddr* data() const {
        return reinterpret_cast<const sockaddr*>(&storage);
    }
};

// Checks a Unix name before any socket exists, so a bad one leaves nothing behind
// and is never silently truncated.
bind_target unix_target(const listen_spec& spec) {
    const std::string& name = spec.unix_name();
    const bool abstract = spec.kind() == listen_kind::unix_abstract;
    if (name.empty()) {
        fail_with_hint("bind", spec.to_string(), EINVAL,
                       abstract ? "the abstract name is empty" : "the path is empty");
    }
    if (!abstract && name.find('\0') != std::string::npos) {
        fail_with_hint("bind", spec.to_string(), EINVAL, "the path contains a NUL byte");
    }
    // A path needs its terminating NUL; an abstract name needs its leading one.
    if (name.size() > sun_path_size - 1) fail("bind", spec, ENAMETOOLONG);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::size_t offset = abstract ? 1 : 0;
    std::memcpy(address.sun_path + offset, name.data(), name.size());
    bind_target target;
    std::memcpy(&target.storage, &address, sizeof(address));
    // Abstract names are exactly their bytes long: no NUL is counted after them.
    target.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + offset + name.size() +
                                           (abstract ? 0 : 1));
    target.family = AF_UNIX;
    return target;
}

bind_target inet_target(const listen_spec& spec) {
    const socket_address& address = spec.inet_address();
    bind_target target;
    std::memcpy(&target.storage, address.data(), address.length());
    target.length = address.length();
    target.family = address.family();
    return target;
}

void set_option(int fd, int level, int name, const char* label, const listen_spec& spec) {
    const int on = 1;
    if (::setsockopt(fd, level, name, &on, sizeof(on)) != 0) {
        fail(std::string("setsockopt ") + label + " for", spec, errno);
    }
}

void make_nonblocking_cloexec(int fd, const std::string& address) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        fail_with_hint("make non-blocking", address, errno, {});
    }
    const int fd_flags = ::fcntl(fd, F_GETFD);
    if (fd_flags < 0 || ::fcntl(fd, F_SETFD, fd_flags | FD_CLOEXEC) != 0) {
        fail_with_hint("set close-on-exec on", address, errno, {});
    }
}

socket_address local_address(int fd, const std::string& address) {
    sockaddr_storage storage{};
    socklen_t length = sizeof(storage);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
        fail_with_hint("getsockname of", address, errno, {});
    }
    return socket_address(reinterpret_cast<const sockaddr*>(&storage), length);
}

int get_int_option(int fd, int name, const std::string& address) {
    int value = 0;
    socklen_t length = sizeof(value);
    if (::getsockopt(fd, SOL_SOCKET, name, &value, &length) != 0) {
        fail_with_hint("getsockopt of", address, errno, {});
    }
    return value;
}

}  // namespace

listener::listener(listener&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      family_(other.family_),
      listening_on_(std::move(other.listening_on_)),
      remove_on_close_path_(std::exchange(other.remove_on_close_path_, {})),
      bound_device_(other.bound_device_),
      bound_inode_(other.bound_inode_) {}

listener& listener::operator=(listener&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        family_ = other.family_;
        listening_on_ = std::move(other.listening_on_);
        remove_on_close_path_ = std::exchange(other.remove_on_close_path_, {});
        bound_device_ = other.bound_device_;
        bound_inode_ = other.bound_inode_;
    }
    return *this;
}

listener::~listener() {
    close();
}

handed_over_socket::handed_over_socket(const listen_spec& spec) {
    if (spec.kind() != listen_kind::systemd) {
        fd_ = spec.socket();  // -1 when the listener creates the socket
        return;
    }
    const systemd_sockets passed = systemd_sockets_from_environment();
    if (!passed.error.empty()) {
        systemd_error_ = passed.error;
    } else if (spec.systemd_index() >= passed.count) {
        systemd_error_ = "LISTEN_FDS passes only " + std::to_string(passed.count) + " socket(s)";
    } else {
        fd_ = passed.first_fd + static_cast<int>(spec.systemd_index());
    }
}

handed_over_socket::handed_over_socket(handed_over_socket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), systemd_error_(std::move(other.systemd_error_)) {}

handed_over_socket::~handed_over_socket() {
    if (fd_ >= 0) ::close(fd_);
}

listener listener::create(const listen_spec& spec, int backlog, const listen_calls& calls) {
    return create(handed_over_socket(spec), spec, backlog, calls);
}

listener listener::create(handed_over_socket handed, const listen_spec& spec, int backlog,
                          const listen_calls& calls) {
    BERTH_ASSERT(backlog >= 0 && backlog <= core::backlog_limit);
    BERTH_ASSERT(calls.bind != nullptr && calls.listen != nullptr);
    BERTH_ASSERT(spec.kind() == listen_kind::systemd || handed.fd() == spec.socket());
    if (spec.kind() == listen_kind::inherited) return adopt(std::move(handed), spec.to_string());
    if (spec.kind() == listen_kind::systemd) {
        if (handed.fd() < 0) fail_with_hint("take", spec.to_string(), EBADF, handed.systemd_error_);
        return adopt(std::move(handed), spec.to_string());
    }

    const bool is_inet = spec.kind() == listen_kind::inet;
    const bind_target target = is_inet ? inet_target(spec) : unix_target(spec);
    stale_check stale = stale_check::absent;
    if (spec.kind() == listen_kind::unix_path && spec.removes_stale_socket_file()) {
        stale = remove_stale_socket_file(spec.unix_name());
    }
    const bool supplied = !spec.creates_socket();
    const std::uint32_t attempts_max = is_inet && !supplied && spec.inet_address().port() == 0
                                           ? port_chosen_by_os_attempts_max
                                           : 1;
    for (std::uint32_t attempt = 1;; ++attempt) {
        // A supplied socket is tried once (attempts_max is 1), so it is released once.
        fd_guard guard(
            supplied ? handed.release()
                     : ::socket(target.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (guard.get() < 0) fail("create a socket for", spec, errno);
        if (supplied) {
            make_nonblocking_cloexec(guard.get(), spec.to_string());
        } else if (is_inet) {
            if (spec.reuses_address()) {
                set_option(guard.get(), SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR", spec);
            }
            if (spec.reuses_port()) {
                set_option(guard.get(), SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT", spec);
            }
        }
        const char* operation = "bind";
        int rc = calls.bind(guard.get(), target.data(), target.length);
        if (rc == 0) {
            operation = "listen on";
            rc = calls.listen(guard.get(), backlog);
        }
        if (rc != 0) {
            const int error_value = errno;
            if (error_value == EADDRINUSE && attempt < attempts_max) continue;
            fail(operation, spec, error_value, attempt, stale);
        }

        listener out;
        out.family_ = target.family;
        if (is_inet) {
            out.listening_on_.port = local_address(guard.get(), spec.to_string()).port();
        } else {
            out.listening_on_.is_unix = true;
            out.listening_on_.path = spec.kind() == listen_kind::unix_abstract
                                         ? "@" + spec.unix_name()
                                         : spec.unix_name();
        }
        if (spec.kind() == listen_kind::unix_path && spec.removes_file_on_close()) {
            struct stat status {};
            if (::lstat(spec.unix_name().c_str(), &status) == 0) {
                out.remove_on_close_path_ = spec.unix_name();
                out.bound_device_ = status.st_dev;
                out.bound_inode_ = status.st_ino;
            }
        }
        out.fd_ = guard.release();
        return out;
    }
}

// An inherited socket is served as is: it must already be a listening stream
// socket of a family berth knows. The listener owns it from here, so a socket
// that fails the checks is closed like any other failed creation.
listener listener::adopt(handed_over_socket handed, const std::string& address) {
    fd_guard guard(handed.release());
    const int fd = guard.get();
    struct stat status {};
    if (::fstat(fd, &status) != 0) fail_with_hint("adopt", address, errno, {});
    if (!S_ISSOCK(status.st_mode)) {
        fail_with_hint("adopt", address, ENOTSOCK, "the descriptor is not a socket");
    }
    if (get_int_option(fd, SO_TYPE, address) != SOCK_STREAM) {
        fail_with_hint("adopt", address, EINVAL, "the socket is not a stream socket");
    }
    if (get_int_option(fd, SO_ACCEPTCONN, address) == 0) {
        fail_with_hint("adopt", address, EINVAL,
                       "the socket is not listening: call listen(2) on it first, or pass an "
                       "unbound socket with use_socket() to have it bound");
    }
    const socket_address local = local_address(fd, address);
    if (local.family() != AF_INET && local.family() != AF_INET6 && local.family() != AF_UNIX) {
        fail_with_hint("adopt", address, EAFNOSUPPORT,
                       "the socket is of address family " + std::to_string(local.family()) +
                           ", not IPv4, IPv6 or Unix");
    }
    make_nonblocking_cloexec(fd, address);
    listener out;
    out.family_ = local.family();
    if (local.family() == AF_UNIX) {
        out.listening_on_.is_unix = true;
        out.listening_on_.path = local.to_string();
    } else {
        out.listening_on_.port = local.port();
    }
    out.fd_ = guard.release();
    return out;
}

socket_address listener::listening_on_address() const {
    if (fd_ < 0) {
        throw std::logic_error("listening_on_address: the listener (listening on " +
                               listening_on_.to_string() + ") is closed");
    }
    return local_address(fd_, listening_on_.to_string());
}

void listener::close() {
    if (fd_ < 0) return;
    ::close(std::exchange(fd_, -1));
    if (remove_on_close_path_.empty()) return;
    // Only our own file: another server may have replaced it since we bound.
    struct stat status {};
    const std::string path = std::exchange(remove_on_close_path_, {});
    if (::lstat(path.c_str(), &status) == 0 && S_ISSOCK(status.st_mode) &&
        status.st_dev == bound_device_ && status.st_ino == bound_inode_) {
        ::unlink(path.c_str());
    }
}

}  // namespace berth::posix
