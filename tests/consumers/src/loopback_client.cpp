// A blocking loopback client for the consumers' real-socket checks: POSIX calls
// only, every wait bounded, the descriptor closed on every path.
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#include "consumer.hpp"

namespace consumer {

namespace {

constexpr int wait_ms = 5000;  // a bound on the wait, not a timing assumption

std::string errno_text(const char* call) {
    return std::string("error: ") + call + ": " + std::strerror(errno);
}

std::string talk(int fd, std::uint16_t port, const std::string& line) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) != 0)
        return errno_text("connect");
    const std::string out = line + "\n";
    if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size()))
        return errno_text("send");

    std::string in;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    // Bounded by the deadline: every turn reads, or ends.
    while (in.find('\n') == std::string::npos) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            return "error: no answer within " + std::to_string(wait_ms) + " ms";
        char buffer[512];
        const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
        if (n < 0) return errno_text("recv");
        if (n == 0) return "error: the server closed the connection before answering";
        in.append(buffer, static_cast<std::size_t>(n));
    }
    return in.substr(0, in.find('\n'));
}

}  // namespace

std::string ask_loopback(std::uint16_t port, const std::string& line) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno_text("socket");
    std::string answer = talk(fd, port, line);
    ::close(fd);
    return answer;
}

}  // namespace consumer
