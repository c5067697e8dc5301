#include "echo_support.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

extern char** environ;

namespace berth::echo_test {

namespace {

using clock_type = std::chrono::steady_clock;

int remaining_ms(clock_type::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Appends what `fd` has within the time left; false at end of stream or timeout.
bool read_some(int& fd, std::string& into, clock_type::time_point deadline) {
    if (fd < 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return false;
    char buffer[65536];
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n <= 0) {
        ::close(fd);
        fd = -1;
        return false;
    }
    into.append(buffer, static_cast<std::size_t>(n));
    return true;
}

std::optional<std::string> take_line(std::string& buffer) {
    const std::size_t end = buffer.find('\n');
    if (end == std::string::npos) return std::nullopt;
    std::string line = buffer.substr(0, end);
    buffer.erase(0, end + 1);
    return line;
}

std::optional<std::string> next_line(int& fd, std::string& buffer, int timeout_ms) {
    const auto deadline = clock_type::now() + std::chrono::milliseconds(timeout_ms);
    // Bounded by the deadline: each turn reads or ends.
    for (;;) {
        if (auto line = take_line(buffer)) return line;
        if (!read_some(fd, buffer, deadline)) return take_line(buffer);
    }
}

}  // namespace

echo_process::echo_process(const std::vector<std::string>& args) {
    int out[2];
    int err[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(err, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    // Every test runs once per backend: each test binary is built for one.
    std::vector<std::string> argv_text{BERTH_ECHO_PATH, "--backend", BERTH_ECHO_BACKEND};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& a : argv_text)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, BERTH_ECHO_PATH, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    ::close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
    REQUIRE(rc == 0);
}

echo_process::~echo_process() {
    if (!exited_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
    if (err_fd_ >= 0) ::close(err_fd_);
}

std::optional<std::string> echo_process::stdout_line(int timeout_ms) {
    return next_line(out_fd_, out_, timeout_ms);
}

std::optional<std::string> echo_process::stderr_line(int timeout_ms) {
    return next_line(err_fd_, err_, timeout_ms);
}

std::string echo_process::stderr_text(int timeout_ms) {
    const auto deadline = clock_type::now() + std::chrono::milliseconds(timeout_ms);
    while (read_some(err_fd_, err_, deadline)) {
    }
    std::string all = std::move(err_);
    err_.clear();
    return all;
}

int echo_process::wait_exit(int timeout_ms) {
    const auto deadline = clock_type::now() + std::chrono::milliseconds(timeout_ms);
    // Bounded by the deadline; polls every few milliseconds (no SIGCHLD plumbing).
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) {
            exited_ = true;
            return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
        }
        if (clock_type::now() >= deadline) return -1;
        ::usleep(2000);
    }
}

void echo_process::send_signal(int signal_number) const {
    REQUIRE(::kill(pid_, signal_number) == 0);
}

long long echo_process::rss_kib() const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
    }
    return -1;
}

long long echo_process::open_descriptors() const {
    std::error_code error;
    long long n = 0;
    for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid_) + "/fd", error);
         !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
        ++n;
    }
    return error ? -1 : n;
}

long long echo_process::cpu_ms() const {
    std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
    std::string text;
    std::getline(stat, text);
    // The command name may hold spaces: the fields are counted after its ')'.
    const std::size_t close = text.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    long long ticks = 0;
    // utime and stime are fields 14 and 15, the 12th and 13th after the name.
    for (int i = 3; i <= 15 && fields >> field; ++i)
        if (i >= 14) ticks += std::stoll(field);
    return ticks * 1000 / ::sysconf(_SC_CLK_TCK);
}

std::uint16_t echo_process::listening_port() {
    const std::optional<std::string> first = stdout_line();
    REQUIRE(first.has_value());
    const std::string prefix = "listening on 127.0.0.1:";
    REQUIRE(first->rfind(prefix, 0) == 0);
    const int port = std::stoi(first->substr(prefix.size()));
    REQUIRE(port > 0);
    REQUIRE(port < 65536);
    return static_cast<std::uint16_t>(port);
}

line_client::line_client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
}

line_client::~line_client() {
    if (fd_ >= 0) ::close(fd_);
}

void line_client::send(const std::string& data) {
    REQUIRE(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(data.size()));
}

void line_client::reset() {
    const linger abortive{1, 0};
    REQUIRE(::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abortive, sizeof(abortive)) == 0);
    ::close(fd_);
    fd_ = -1;
}

std::optional<std::string> line_client::line(int timeout_ms) {
    int fd = ::dup(fd_);  // next_line closes its descriptor at the end of stream
    std::optional<std::string> result = next_line(fd, in_, timeout_ms);
    if (fd >= 0) ::close(fd);
    return result;
}

std::string line_client::read_bytes(std::size_t bytes, int timeout_ms) {
    const auto deadline = clock_type::now() + std::chrono::milliseconds(timeout_ms);
    int fd = ::dup(fd_);
    while (in_.size() < bytes && read_some(fd, in_, deadline)) {
    }
    if (fd >= 0) ::close(fd);
    std::string out = in_.substr(0, std::min(bytes, in_.size()));
    in_.erase(0, out.size());
    return out;
}

bool line_client::closed_by_server(int timeout_ms) {
    const auto deadline = clock_type::now() + std::chrono::milliseconds(timeout_ms);
    // Bounded by the deadline: each turn reads or ends.
    for (;;) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return false;
        char buffer[65536];
        const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
        if (n <= 0) return true;
    }
}

}  // namespace berth::echo_test
