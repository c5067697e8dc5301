#include "uv_test_support.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <dirent.h>
#include <netinet/in.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "berth/uv/run.hpp"

namespace berth::uv_test {

namespace {

core::time_ns clock_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

constexpr int close_turns_max = 10'000;

}  // namespace

namespace {

// libuv opens a process-wide signal pipe the first time any loop is created and
// keeps it for the life of the process. Creating one loop before the first count
// keeps that pipe out of every test's before/after comparison.
void open_libuv_process_descriptors() {
    static const bool opened = [] {
        uv_loop_t loop;
        REQUIRE(uv_loop_init(&loop) == 0);
        REQUIRE(uv_loop_close(&loop) == 0);
        return true;
    }();
    static_cast<void>(opened);
}

}  // namespace

int count_descriptors() {
    open_libuv_process_descriptors();
    DIR* dir = ::opendir("/proc/self/fd");
    REQUIRE(dir != nullptr);
    int n = 0;
    while (const dirent* e = ::readdir(dir))
        n += e->d_name[0] != '.' ? 1 : 0;
    ::closedir(dir);
    return n - 1;  // the directory's own descriptor
}

test_loop::test_loop() {
    REQUIRE(uv_loop_init(&loop_) == 0);
    REQUIRE(uv_timer_init(&loop_, &tick_) == 0);
}

test_loop::~test_loop() {
    if (!closed_) static_cast<void>(close_loop());
}

bool test_loop::run_until(const std::function<bool()>& condition, core::time_ns timeout_ns,
                          const std::function<void()>& between) {
    const core::time_ns until_ns = clock_ns() + timeout_ns;
    static_cast<void>(uv_timer_start(
        &tick_, [](uv_timer_t*) {}, 1, 1));
    bool met = false;
    // Bounded by the clock: each turn blocks at most one tick.
    for (;;) {
        if (between) between();
        if (condition()) {
            met = true;
            break;
        }
        if (clock_ns() >= until_ns) break;
        static_cast<void>(uv::run(&loop_, UV_RUN_ONCE));
    }
    static_cast<void>(uv_timer_stop(&tick_));
    return met;
}

int test_loop::close_loop() {
    closed_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
    for (int i = 0; i < close_turns_max; ++i) {
        try {
            if (uv::run(&loop_, UV_RUN_ONCE) == 0 && !uv::has_pending_error(&loop_)) break;
        } catch (const std::exception&) {
            // The test checked the errors it cared about.
        }
    }
    uv::forget_loop(&loop_);
    return uv_loop_close(&loop_);
}

test_client test_client::tcp(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof(to));
    REQUIRE((rc == 0 || errno == EINPROGRESS));
    return test_client(fd);
}

test_client test_client::unix_path(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un to{};
    to.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof(to.sun_path));
    std::memcpy(to.sun_path, path.data(), path.size());
    REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof(to)) == 0);
    return test_client(fd);
}

test_client::test_client(test_client&& other) noexcept
    : fd_(other.fd_),
      unsent_(std::move(other.unsent_)),
      in_(std::move(other.in_)),
      ended_(other.ended_) {
    other.fd_ = -1;
}

test_client::~test_client() {
    close();
}

void test_client::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void test_client::send(std::string_view data) {
    unsent_.append(data);
    static_cast<void>(poll());
}

void test_client::shutdown_write() {
    static_cast<void>(poll());
    REQUIRE(unsent_.empty());
    ::shutdown(fd_, SHUT_WR);
}

bool test_client::poll() {
    if (fd_ < 0) return true;
    while (!unsent_.empty()) {
        const ssize_t n = ::send(fd_, unsent_.data(), unsent_.size(), MSG_NOSIGNAL);
        if (n <= 0) break;
        unsent_.erase(0, static_cast<std::size_t>(n));
    }
    char buffer[16 * 1024];
    // Bounded: at most 64 full reads per call.
    for (int i = 0; i < 64 && !ended_; ++i) {
        const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
        if (n > 0) {
            in_.append(buffer, static_cast<std::size_t>(n));
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) ended_ = true;
        break;
    }
    return ended_;
}

std::optional<std::string> test_client::read_line(test_loop& loop, core::time_ns timeout_ns) {
    std::optional<std::string> line;
    static_cast<void>(loop.run_until(
        [&] {
            static_cast<void>(poll());
            const std::size_t nl = in_.find('\n');
            if (nl != std::string::npos) {
                line = in_.substr(0, nl);
                in_.erase(0, nl + 1);
                return true;
            }
            return ended_;
        },
        timeout_ns));
    return line;
}

posix::socket_address test_client::local_address() const {
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    return posix::socket_address(reinterpret_cast<const sockaddr*>(&address), length);
}

bool test_client::wait_closed(test_loop& loop, core::time_ns timeout_ns) {
    return loop.run_until([&] { return poll(); }, timeout_ns);
}

}  // namespace berth::uv_test
