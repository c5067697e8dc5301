#include "real_sockets.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <netinet/in.h>
#include <sys/socket.h>
#include <system_error>
#include <unistd.h>

namespace berth::conformance::posix_support {

std::size_t process_descriptors() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
        ++n;
    return n;
}

core::time_ns steady_now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string occupied_port::take() {
    release();
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    auto* raw = reinterpret_cast<sockaddr*>(&address);
    if (::bind(fd_, raw, length) != 0 || ::listen(fd_, 1) != 0 ||
        ::getsockname(fd_, raw, &length) != 0) {
        const int error = errno;
        release();
        throw std::system_error(error, std::generic_category(), "occupying a port");
    }
    return "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
}

void occupied_port::release() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

const std::string& scratch_directory::path() {
    if (path_.empty()) {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "berth-conformance-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::system_error(errno, std::generic_category(), "mkdtemp");
        }
        path_ = pattern;
    }
    return path_;
}

void scratch_directory::release() {
    if (path_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
    path_.clear();
}

namespace {

// Not an error, only "not now": the connect is still in progress, the buffer is
// full or empty.
bool try_later(int error_value) {
    return error_value == EAGAIN || error_value == EWOULDBLOCK || error_value == ENOTCONN ||
           error_value == EINTR;
}

}  // namespace

std::uint32_t clients::connect(const posix::socket_address& to) {
    const auto id = static_cast<std::uint32_t>(all_.size());
    client& c = all_.emplace_back();
    c.fd = ::socket(to.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) throw std::system_error(errno, std::generic_category(), "client socket");
    // Loopback: 0, or EINPROGRESS while the listen queue is full. A refused
    // connection (nobody listens any more) shows up as the stream's end, now or on
    // the first read.
    if (::connect(c.fd, to.data(), to.length()) != 0 && errno != EINPROGRESS) c.ended = true;
    return id;
}

void clients::send(std::uint32_t id, std::string_view data) {
    client& c = all_.at(id);
    c.unsent.append(data);
    flush(c);
}

void clients::close(std::uint32_t id) {
    client& c = all_.at(id);
    c.close_pending = true;
    flush(c);
}

void clients::close_all() {
    for (client& c : all_)
        close_now(c);
}

void clients::serve() {
    for (client& c : all_)
        flush(c);
}

std::optional<std::string> clients::take_line(std::uint32_t id) {
    client& c = all_.at(id);
    read_available(c);
    const std::size_t end = c.received.find('\n');
    if (end == std::string::npos) return std::nullopt;
    std::string line = c.received.substr(0, end);
    c.received.erase(0, end + 1);
    return line;
}

std::size_t clients::discard(std::uint32_t id) {
    client& c = all_.at(id);
    read_available(c);
    const std::size_t bytes = c.received.size();
    c.received.clear();
    return bytes;
}

void clients::flush(client& c) {
    while (c.fd >= 0 && c.unsent_from < c.unsent.size()) {
        const ssize_t n = ::send(c.fd, c.unsent.data() + c.unsent_from,
                                 c.unsent.size() - c.unsent_from, MSG_NOSIGNAL);
        if (n > 0) {
            c.unsent_from += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && try_later(errno)) break;
        c.unsent_from = c.unsent.size();  // the server is gone: nothing more will be read
    }
    if (c.unsent_from == c.unsent.size()) {
        c.unsent.clear();
        c.unsent_from = 0;
    }
    if (c.close_pending && c.unsent.empty()) close_now(c);
}

void clients::read_available(client& c) {
    if (c.fd < 0) return;
    char buffer[64 * 1024];
    // Bounded: at most 64 buffers per look.
    for (int i = 0; i < 64; ++i) {
        const ssize_t n = ::recv(c.fd, buffer, sizeof(buffer), 0);
        if (n > 0) {
            c.received.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && try_later(errno)) return;
        c.ended = true;  // 0: end of stream; other errors: reset, refused
        return;
    }
}

void clients::close_now(client& c) {
    if (c.fd >= 0) ::close(c.fd);
    c.fd = -1;
    c.ended = true;
}

}  // namespace berth::conformance::posix_support
