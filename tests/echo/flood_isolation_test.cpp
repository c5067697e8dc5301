// A client that asks for a 1 GiB flood and never reads costs berth-echo one
// writer's worth of memory, not a gigabyte, and delays nobody: the flood writes a
// chunk at a time and waits for each to reach the kernel (berth/line_protocol.hpp),
// so once the client's socket buffers are full the flood simply waits.
#include <algorithm>
#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "echo_support.hpp"

namespace berth::echo_test {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr long long rss_bound_kib = 64 * 1024;  // 64 MiB
constexpr auto echo_bound = std::chrono::milliseconds(500);
constexpr int round_trips = 20;

long long elapsed_ms(clock_type::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - since).count();
}

}  // namespace

TEST_CASE(
    "a 1 GiB flood to a client that never reads delays no other client's echo and "
    "keeps the server's memory bounded") {
    echo_process echo({"--listen", "127.0.0.1:0"});
    const std::uint16_t port = echo.listening_port();
    const long long rss_before_kib = echo.rss_kib();
    REQUIRE(rss_before_kib > 0);

    std::optional<line_client> flooded;
    flooded.emplace(port);
    flooded->send("flood 1073741824\n");  // flood_bytes_max: the largest flood there is
    // The flood fills the client's receive buffer and the server's send buffer
    // within milliseconds on loopback; from then on it waits for a reader.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));

    std::optional<line_client> other;
    other.emplace(port);
    long long rss_max_kib = echo.rss_kib();
    long long slowest_ms = 0;
    const long long cpu_before_ms = echo.cpu_ms();
    const auto window_start = clock_type::now();
    for (int i = 0; i < round_trips; ++i) {
        const std::string text = "ping " + std::to_string(i);
        const auto sent = clock_type::now();
        other->send(text + "\n");
        const std::optional<std::string> answer = other->line(static_cast<int>(echo_bound.count()));
        slowest_ms = std::max(slowest_ms, elapsed_ms(sent));
        REQUIRE_MESSAGE(answer == text,
                        "round trip " << i << " took " << elapsed_ms(sent) << " ms");
        rss_max_kib = std::max(rss_max_kib, echo.rss_kib());
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    const long long window_ms = elapsed_ms(window_start);
    const long long cpu_used_ms = echo.cpu_ms() - cpu_before_ms;
    MESSAGE("slowest echo " << slowest_ms << " ms; RSS " << rss_before_kib << " KiB before, "
                            << rss_max_kib << " KiB at most; CPU " << cpu_used_ms << " ms in "
                            << window_ms << " ms");
    CHECK(slowest_ms < echo_bound.count());
    CHECK(rss_max_kib < rss_bound_kib);
    // A flood that waits for its reader costs no CPU: nothing spins on a full socket.
    CHECK(cpu_used_ms * 2 < window_ms);

    // The flood is still under way, not failed: the flooded client gets its bytes
    // as soon as it reads.
    CHECK(flooded->read_bytes(1 << 20) == std::string(1 << 20, 'x'));

    echo.send_signal(SIGUSR2);
    const std::optional<std::string> stats = echo.stdout_line();
    REQUIRE(stats.has_value());
    CHECK(stats->find("\"num_connections\":2") != std::string::npos);
    CHECK(stats->find("\"handler_errors\":0") != std::string::npos);

    // Closing: the flooded client leaves with unread bytes (a reset), so the flood's
    // next write fails and its handler ends normally; the other's ends with its
    // connection; then the process prints its final line and exits 0.
    echo.send_signal(SIGTERM);
    flooded.reset();
    other.reset();
    const std::optional<std::string> final_stats = echo.stdout_line();
    REQUIRE(final_stats.has_value());
    CHECK(final_stats->find("\"num_connections\":0") != std::string::npos);
    CHECK(final_stats->find("\"handler_ok\":2") != std::string::npos);
    CHECK(echo.wait_exit() == 0);
}

}  // namespace berth::echo_test

namespace berth::echo_test {

TEST_CASE(
    "SIGINT with --close-existing-connections ends a flood stuck on a client that never "
    "reads") {
    echo_process echo({"--listen", "127.0.0.1:0", "--close-existing-connections"});
    line_client flooded(echo.listening_port());
    flooded.send("flood 1073741824\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the buffers fill
    echo.send_signal(SIGINT);
    // The flood's flushed() ends when the server closes the connection: no waiting
    // for the 2-minute age limit.
    const std::optional<std::string> final_stats = echo.stdout_line();
    REQUIRE(final_stats.has_value());
    CHECK(final_stats->find("\"num_connections\":0") != std::string::npos);
    CHECK(final_stats->find("\"handler_errors\":0") != std::string::npos);
    CHECK(echo.wait_exit() == 0);
    CHECK(flooded.closed_by_server());
}

}  // namespace berth::echo_test
