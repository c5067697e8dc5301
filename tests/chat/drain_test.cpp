// berth-chat's close: SIGTERM or SIGINT closes the listener, tells every client
// "* server shutting down", and gives those who stay until the drain deadline;
// the process exits 0 once no connection is left.
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <netinet/in.h>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "chat_support.hpp"
#include "posix_test_support.hpp"

namespace berth::chat_test {

namespace {

using clock_type = std::chrono::steady_clock;

long long ms_since(clock_type::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - since).count();
}

// Whether a connection to the port is refused: nobody listens any more.
bool connection_refused(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    const posix::socket_address address = posix::test::loopback_v4(port);
    const bool refused =
        ::connect(fd, address.data(), address.length()) != 0 && errno == ECONNREFUSED;
    ::close(fd);
    return refused;
}

bool has(const std::optional<std::string>& text, const std::string& part) {
    return text.has_value() && text->find(part) != std::string::npos;
}

}  // namespace

TEST_CASE(
    "SIGTERM tells a connected client 'server shutting down', stops accepting, and exits 0 "
    "as soon as the client leaves, before the drain deadline") {
    const posix::test::fd_leak_check fds;
    echo_process chat({"--listen", "127.0.0.1:0", "--drain-deadline-ms", "10000"});
    const std::uint16_t port = chat.listening_port();
    std::optional<line_client> a;
    std::optional<line_client> b;
    a.emplace(port);
    b.emplace(port);
    const std::string name_a = joined_as(*a);
    static_cast<void>(joined_as(*b));

    chat.send_signal(SIGTERM);
    CHECK(a->line() == "* server shutting down");
    CHECK(b->line() == "* server shutting down");
    CHECK(connection_refused(port));
    // The clients still there may go on talking during the drain.
    a->send("last words\n");
    CHECK(b->line() == name_a + ": last words");
    CHECK(chat.wait_exit(100) == -1);  // two clients keep it running

    const auto left = clock_type::now();
    a.reset();
    b.reset();
    CHECK(has(chat.stdout_line(), "\"num_connections\":0"));
    CHECK(chat.wait_exit() == 0);
    CHECK(ms_since(left) < 2000);  // far from the 10 s deadline
}

TEST_CASE(
    "SIGTERM with a client that stays: the server closes it at the drain deadline and exits "
    "0 within the deadline and a margin") {
    const posix::test::fd_leak_check fds;
    constexpr long long deadline_ms = 600;
    constexpr long long margin_ms = 1500;
    echo_process chat(
        {"--listen", "127.0.0.1:0", "--drain-deadline-ms", std::to_string(deadline_ms)});
    line_client stays(chat.listening_port());
    static_cast<void>(joined_as(stays));

    const auto signalled = clock_type::now();
    chat.send_signal(SIGTERM);
    CHECK(stays.line() == "* server shutting down");
    CHECK(stays.closed_by_server(static_cast<int>(deadline_ms + margin_ms)));
    const long long closed_ms = ms_since(signalled);
    CHECK(chat.wait_exit(static_cast<int>(margin_ms)) == 0);
    const long long exited_ms = ms_since(signalled);
    MESSAGE("closed after " << closed_ms << " ms, exited after " << exited_ms << " ms");
    CHECK(closed_ms >= deadline_ms - 50);  // not before the deadline (timer slack aside)
    CHECK(exited_ms < deadline_ms + margin_ms);
}

TEST_CASE("SIGINT drains as SIGTERM does, and a second signal changes nothing") {
    const posix::test::fd_leak_check fds;
    echo_process chat({"--listen", "127.0.0.1:0", "--drain-deadline-ms", "10000"});
    std::optional<line_client> client;
    client.emplace(chat.listening_port());
    static_cast<void>(joined_as(*client));
    chat.send_signal(SIGINT);
    CHECK(client->line() == "* server shutting down");
    chat.send_signal(SIGTERM);
    CHECK(client->line(200) == std::nullopt);  // told once
    CHECK(chat.wait_exit(100) == -1);
    client.reset();
    CHECK(chat.wait_exit() == 0);
}

}  // namespace berth::chat_test
