// Broadcast with back-pressure: a client that never reads is cut off once its
// writer would hold more than --buffer-limit-bytes, while the others receive every
// line promptly; the server holds no more than that limit for it, whatever is said.
#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "chat_support.hpp"
#include "posix_test_support.hpp"

namespace berth::chat_test {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr std::uint64_t buffer_limit = 64 * 1024;
constexpr std::size_t line_bytes = 4000;
constexpr int lines_per_batch = 16;
// 24 MiB said, several times what the kernel's buffers for the silent client can
// take (its receive buffer is shrunk; the server's send buffer grows to 4 MiB).
constexpr int batches = 384;
constexpr long long batch_bound_ms = 1000;

// The sanitizers keep freed memory in quarantine: the resident set then says
// nothing about what the server holds.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool rss_meaningful = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool rss_meaningful = false;
#else
constexpr bool rss_meaningful = true;
#endif
#else
constexpr bool rss_meaningful = true;
#endif
// Far below the bytes the silent client was sent beyond its socket buffers.
constexpr long long rss_growth_bound_kib = 8 * 1024;

long long ms_since(clock_type::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - since).count();
}

// A client with a small receive buffer that reads its welcome line and then
// nothing, until the test drains it.
class silent_client {
public:
    explicit silent_client(std::uint16_t port)
        : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(fd_ >= 0);
        const int small = 4096;
        REQUIRE(::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) == 0);
        const posix::socket_address address = posix::test::loopback_v4(port);
        REQUIRE(::connect(fd_, address.data(), address.length()) == 0);
    }
    silent_client(const silent_client&) = delete;
    silent_client& operator=(const silent_client&) = delete;
    ~silent_client() { ::close(fd_); }

    // Reads byte by byte up to the first newline: nothing after it is taken.
    std::string first_line() {
        std::string line;
        char c = 0;
        // Bounded: a welcome line is short, and each read waits at most wait_ms.
        while (line.size() < 256) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, wait_ms) <= 0 || ::recv(fd_, &c, 1, 0) != 1 || c == '\n') break;
            line.push_back(c);
        }
        return line;
    }

    // Reads until the end of the stream (or a reset); the bytes read, or nothing if
    // the stream did not end in time.
    std::optional<std::uint64_t> drain_to_end(int timeout_ms) {
        const auto deadline = clock_type::now() + std::chrono::milliseconds(timeout_ms);
        std::uint64_t total = 0;
        char buffer[65536];
        // Bounded by the deadline: each turn reads or ends.
        for (;;) {
            const long long left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now())
                    .count();
            pollfd p{fd_, POLLIN, 0};
            if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) <= 0) return std::nullopt;
            const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
            if (n == 0 || (n < 0 && errno == ECONNRESET)) return total;
            if (n < 0) return std::nullopt;
            total += static_cast<std::uint64_t>(n);
        }
    }

private:
    int fd_;
};

}  // namespace

TEST_CASE(
    "a client that never reads is cut off at its writer's limit while another receives "
    "every line promptly, and the server's memory stays bounded") {
    const posix::test::fd_leak_check fds;
    echo_process chat(
        {"--listen", "127.0.0.1:0", "--buffer-limit-bytes", std::to_string(buffer_limit)});
    const std::uint16_t port = chat.listening_port();
    line_client sender(port);
    line_client reader(port);
    silent_client silent(port);
    const std::string sender_name = joined_as(sender);
    static_cast<void>(joined_as(reader));
    const std::string silent_welcome = silent.first_line();
    REQUIRE(silent_welcome.rfind(welcome_prefix, 0) == 0);
    const std::string silent_name = silent_welcome.substr(std::string(welcome_prefix).size());

    const long long rss_before_kib = chat.rss_kib();
    REQUIRE(rss_before_kib > 0);
    long long rss_max_kib = rss_before_kib;
    long long slowest_batch_ms = 0;
    std::uint64_t bytes_said = 0;
    for (int batch = 0; batch < batches; ++batch) {
        std::string text;
        std::vector<std::string> lines;
        for (int i = 0; i < lines_per_batch; ++i) {
            std::string line = std::to_string(batch) + "." + std::to_string(i) + " ";
            line.resize(line_bytes, 'x');
            text += line + "\n";
            lines.push_back(std::move(line));
        }
        const auto sent = clock_type::now();
        sender.send(text);
        for (const std::string& line : lines) {
            const std::optional<std::string> got = reader.line(static_cast<int>(batch_bound_ms));
            REQUIRE_MESSAGE(got == sender_name + ": " + line,
                            "batch " << batch << " after " << ms_since(sent) << " ms");
            bytes_said += got->size() + 1;
        }
        slowest_batch_ms = std::max(slowest_batch_ms, ms_since(sent));
        if (batch % 16 == 0) rss_max_kib = std::max(rss_max_kib, chat.rss_kib());
    }
    rss_max_kib = std::max(rss_max_kib, chat.rss_kib());
    MESSAGE("slowest batch " << slowest_batch_ms << " ms; RSS " << rss_before_kib << " KiB before, "
                             << rss_max_kib << " KiB at most; " << bytes_said << " bytes said");
    CHECK(slowest_batch_ms < batch_bound_ms);
    if (rss_meaningful) CHECK(rss_max_kib - rss_before_kib < rss_growth_bound_kib);

    // The cut-off, as the operator sees it: the silent client's writer refused the
    // write that would have taken it past the limit, holding no more than the limit.
    const std::optional<std::string> error = chat.stderr_line();
    REQUIRE(error.has_value());
    CHECK(error->rfind("berth-chat: handler error from " + silent_name + ": writer buffer full: ",
                       0) == 0);
    CHECK(error->find("(buffer_limit_bytes " + std::to_string(buffer_limit) + " exceeded)") !=
          std::string::npos);
    const std::size_t held_at = error->find("full: ") + 6;
    CHECK(std::stoull(error->substr(held_at)) <= buffer_limit);

    // As the silent client sees it: what its socket buffers took, then the end.
    const std::optional<std::uint64_t> silent_got = silent.drain_to_end(wait_ms);
    REQUIRE(silent_got.has_value());
    MESSAGE("the silent client got " << *silent_got << " bytes before its end");
    CHECK(*silent_got < bytes_said / 2);

    chat.send_signal(SIGTERM);
    CHECK(sender.line() == "* server shutting down");
    CHECK(reader.line() == "* server shutting down");
    sender.reset();
    reader.reset();
    const std::optional<std::string> final_stats = chat.stdout_line();
    REQUIRE(final_stats.has_value());
    CHECK(final_stats->find("\"handler_errors\":1,") != std::string::npos);  // the silent one
    CHECK(chat.wait_exit() == 0);
}

TEST_CASE(
    "a megabyte of lines in one send reaches a reader that keeps up, whose writer's limit "
    "is 64 KiB: nobody is cut off by a burst") {
    const posix::test::fd_leak_check fds;
    echo_process chat(
        {"--listen", "127.0.0.1:0", "--buffer-limit-bytes", std::to_string(buffer_limit)});
    const std::uint16_t port = chat.listening_port();
    line_client sender(port);
    line_client reader(port);
    const std::string sender_name = joined_as(sender);
    static_cast<void>(joined_as(reader));

    // 256 lines the server reads in a few large pieces: each piece holds far more
    // than the reader's writer may.
    constexpr int lines = 256;
    std::string text;
    for (int i = 0; i < lines; ++i) {
        std::string line = std::to_string(i) + " ";
        line.resize(line_bytes, 'b');
        text += line + "\n";
    }
    sender.send(text);
    for (int i = 0; i < lines; ++i) {
        const std::optional<std::string> got = reader.line();
        REQUIRE_MESSAGE(got.has_value(), "line " << i);
        CHECK(got->rfind(sender_name + ": " + std::to_string(i) + " ", 0) == 0);
    }

    chat.send_signal(SIGTERM);
    CHECK(reader.line() == "* server shutting down");
    sender.reset();
    reader.reset();
    const std::optional<std::string> final_stats = chat.stdout_line();
    REQUIRE(final_stats.has_value());
    CHECK(final_stats->find("\"handler_errors\":0,") != std::string::npos);
    CHECK(chat.wait_exit() == 0);
    CHECK(chat.stderr_text() == "");
}

}  // namespace berth::chat_test
