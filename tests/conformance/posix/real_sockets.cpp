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

}  // namespace berth::conformance::posix_support
