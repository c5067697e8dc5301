// berth-echo gives back every descriptor a connection took, however the connection
// ended: quit, a handler failure, the client leaving, a reset, a flood cut short.
#include <csignal>
#include <optional>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "echo_support.hpp"

namespace berth::echo_test {

namespace {

// Asks for the statistics line until it says no connection is left; false if that
// does not happen within the attempts.
bool no_connection_left(echo_process& echo) {
    for (int attempt = 0; attempt < 100; ++attempt) {
        echo.send_signal(SIGUSR2);
        const std::optional<std::string> stats = echo.stdout_line();
        if (!stats) return false;
        if (stats->find("\"num_connections\":0,") != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

}  // namespace

TEST_CASE("connections that end every way leave berth-echo with the descriptors it had") {
    echo_process echo({"--listen", "127.0.0.1:0"});
    const std::uint16_t port = echo.listening_port();
    {
        // libuv opens one descriptor per loop with its first stream (its EMFILE
        // reserve, /dev/null) and keeps it until the loop closes: a first
        // connection takes that out of the count.
        line_client first(port);
        first.send("quit\n");
        CHECK(first.line() == "bye");
    }
    REQUIRE(no_connection_left(echo));
    const long long before = echo.open_descriptors();
    REQUIRE(before > 0);
    {
        line_client quits(port);
        line_client fails(port);
        line_client leaves(port);
        line_client resets(port);
        line_client flooded(port);
        quits.send("quit\n");
        CHECK(quits.line() == "bye");
        fails.send("fail\n");
        CHECK(fails.closed_by_server());
        leaves.send("unread answer\n");
        resets.send("half a li");
        flooded.send("flood 1073741824\n");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        CHECK(echo.open_descriptors() >= before + 3);  // some connections still live
        resets.reset();
    }  // the others leave here; the flooded one with unread bytes, a reset
    CHECK(no_connection_left(echo));
    CHECK(echo.open_descriptors() == before);
    echo.send_signal(SIGTERM);
    CHECK(echo.stdout_line().has_value());  // the final statistics line
    CHECK(echo.wait_exit() == 0);
}

}  // namespace berth::echo_test
