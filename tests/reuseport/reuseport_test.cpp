// berth-reuseport: N servers, one per thread, on one port; the kernel spreads the
// connections over them, every connection is served, and SIGTERM closes every
// server on its own thread and exits 0.
#include <csignal>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "echo_support.hpp"
#include "posix_test_support.hpp"

namespace berth::reuseport_test {

namespace {

using echo_test::echo_process;
using echo_test::line_client;

constexpr int threads = 4;
constexpr int connections = 64;

// The final lines: "thread I {statistics}" for every thread, in order; the sum of
// their "accepted".
long long accepted_in_final_lines(echo_process& p) {
    long long accepted = 0;
    for (int i = 0; i < threads; ++i) {
        const std::optional<std::string> line = p.stdout_line();
        REQUIRE(line.has_value());
        REQUIRE(line->rfind("thread " + std::to_string(i) + " {", 0) == 0);
        CHECK(line->find("\"num_connections\":0,") != std::string::npos);
        CHECK(line->find("\"closed\":true") != std::string::npos);
        const std::string key = "\"accepted\":";
        const std::size_t at = line->find(key);
        REQUIRE(at != std::string::npos);
        accepted += std::stoll(line->substr(at + key.size()));
    }
    return accepted;
}

// The one final line of a server with one thread: its "accepted".
long long accepted_lines_of_one(echo_process& p) {
    const std::optional<std::string> line = p.stdout_line();
    REQUIRE(line.has_value());
    REQUIRE(line->rfind("thread 0 {", 0) == 0);
    const std::size_t at = line->find("\"accepted\":");
    REQUIRE(at != std::string::npos);
    return std::stoll(line->substr(at + 11));
}

}  // namespace

TEST_CASE(
    "with 4 threads, 64 connections are all echoed, at least 2 threads answer, and SIGTERM "
    "exits 0") {
    const posix::test::fd_leak_check fds;
    echo_process server({"--threads", std::to_string(threads), "--listen", "127.0.0.1:0"});
    const std::uint16_t port = server.listening_port();
    std::set<int> answered;
    {
        // All open at once: each listener has its share queued or served together.
        std::vector<std::unique_ptr<line_client>> clients;
        for (int i = 0; i < connections; ++i) {
            clients.push_back(std::make_unique<line_client>(port));
            clients.back()->send("hello " + std::to_string(i) + "\nthread\n");
        }
        for (int i = 0; i < connections; ++i) {
            CHECK(clients[static_cast<std::size_t>(i)]->line() == "hello " + std::to_string(i));
            const std::optional<std::string> which = clients[static_cast<std::size_t>(i)]->line();
            REQUIRE(which.has_value());
            REQUIRE(which->rfind("thread ", 0) == 0);
            const int index = std::stoi(which->substr(7));
            CHECK(index >= 0);
            CHECK(index < threads);
            answered.insert(index);
        }
    }
    MESSAGE(answered.size() << " threads answered");
    CHECK(answered.size() >= 2);

    server.send_signal(SIGTERM);
    CHECK(accepted_in_final_lines(server) == connections);
    CHECK(server.wait_exit() == 0);
    CHECK(server.stderr_text() == "");  // nothing went wrong, no sanitizer spoke
}

TEST_CASE(
    "SIGTERM with --close-existing-connections closes the connections of every thread and "
    "exits 0") {
    const posix::test::fd_leak_check fds;
    echo_process server({"--threads", std::to_string(threads), "--listen", "127.0.0.1:0",
                         "--close-existing-connections"});
    const std::uint16_t port = server.listening_port();
    std::vector<std::unique_ptr<line_client>> clients;
    std::set<std::string> answered;
    for (int i = 0; i < 16; ++i) {
        clients.push_back(std::make_unique<line_client>(port));
        clients.back()->send("thread\n");
        const std::optional<std::string> which = clients.back()->line();
        REQUIRE(which.has_value());
        answered.insert(*which);
    }
    CHECK(answered.size() >= 2);
    server.send_signal(SIGTERM);
    for (const std::unique_ptr<line_client>& client : clients)
        CHECK(client->closed_by_server());
    CHECK(accepted_in_final_lines(server) == 16);
    CHECK(server.wait_exit() == 0);
    CHECK(server.stderr_text() == "");
}

TEST_CASE("--threads 1 serves alone, and a fixed port is shared by every thread") {
    const posix::test::fd_leak_check fds;
    std::uint16_t port = 0;
    {
        echo_process first({"--threads", "1", "--listen", "127.0.0.1:0"});
        port = first.listening_port();
        {
            line_client client(port);
            client.send("thread\n");
            CHECK(client.line() == "thread 0");
        }
        first.send_signal(SIGINT);
        CHECK(accepted_lines_of_one(first) == 1);
        CHECK(first.wait_exit() == 0);
    }
    // The port just freed, given by number: every thread's listener binds it.
    echo_process server({"--threads", "3", "--listen", "127.0.0.1:" + std::to_string(port)});
    CHECK(server.listening_port() == port);
    line_client client(port);
    client.send("x\n");
    CHECK(client.line() == "x");
}

TEST_CASE("bad flags exit 2 with a message naming them") {
    const auto refused = [](const std::vector<std::string>& args, const std::string& message) {
        echo_process server(args);
        CHECK(server.wait_exit() == 2);
        const std::string err = server.stderr_text();
        CHECK_MESSAGE(err.find(message) != std::string::npos, err);
        CHECK(err.find("usage: berth-reuseport [--threads N]") != std::string::npos);
    };
    refused({"--threads", "0"}, "--threads: invalid value '0': must be between 1 and 256");
    refused({"--threads=many"}, "--threads: invalid value 'many'");
    refused({"--threads"}, "--threads: missing value");
    refused({"--listen", "unix:@reuse"}, "--listen: SO_REUSEPORT needs HOST:PORT");
    refused({"--max-connections", "0"}, "--max-connections: invalid value '0'");
    refused({"--bogus"}, "unknown argument '--bogus'");
    refused({"--backend", "uv"}, "--backend: berth-reuseport runs one io_context per thread");
}

}  // namespace berth::reuseport_test
