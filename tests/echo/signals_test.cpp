// berth-echo's signals: SIGUSR1 toggles drop mode, SIGUSR2 prints statistics,
// SIGINT/SIGTERM close the server and the process exits 0 after the final line.
#include <csignal>
#include <string>

#include <doctest/doctest.h>

#include "echo_support.hpp"

namespace berth::echo_test {

namespace {

bool has(const std::optional<std::string>& text, const std::string& part) {
    return text.has_value() && text->find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("SIGUSR2 prints one JSON line with num_connections") {
    echo_process echo({"--listen", "127.0.0.1:0"});
    line_client client(echo.listening_port());
    client.send("a\n");
    CHECK(client.line() == "a");
    echo.send_signal(SIGUSR2);
    const std::optional<std::string> stats = echo.stdout_line();
    CHECK(has(stats, "{\"num_connections\":1,"));
    CHECK(has(stats, "\"accepted\":1"));
}

TEST_CASE("SIGUSR1 toggles drop mode at run time") {
    echo_process echo({"--listen", "127.0.0.1:0"});
    const std::uint16_t port = echo.listening_port();
    echo.send_signal(SIGUSR1);
    echo.send_signal(SIGUSR2);  // delivered after: drop mode is on when it prints
    CHECK(has(echo.stdout_line(), "\"dropping\":true"));
    {
        line_client dropped(port);
        CHECK(dropped.closed_by_server());
    }
    echo.send_signal(SIGUSR1);
    echo.send_signal(SIGUSR2);
    CHECK(has(echo.stdout_line(), "\"dropped\":1"));
    line_client served(port);
    served.send("back\n");
    CHECK(served.line() == "back");
}

TEST_CASE("SIGTERM closes the server and exits 0 once handlers have finished") {
    echo_process echo({"--listen", "127.0.0.1:0"});
    line_client client(echo.listening_port());
    client.send("a\n");
    CHECK(client.line() == "a");
    echo.send_signal(SIGTERM);
    CHECK(echo.wait_exit(100) == -1);  // the connection keeps it running
    client.send("b\n");
    CHECK(client.line() == "b");
    client.send("quit\n");
    CHECK(client.line() == "bye");
    CHECK(has(echo.stdout_line(), "\"closed\":true"));
    CHECK(echo.wait_exit() == 0);
}

TEST_CASE("SIGINT with --close-existing-connections closes live connections") {
    echo_process echo({"--listen", "127.0.0.1:0", "--close-existing-connections"});
    line_client client(echo.listening_port());
    client.send("a\n");
    CHECK(client.line() == "a");
    echo.send_signal(SIGINT);
    CHECK(client.closed_by_server());
    const std::optional<std::string> final_stats = echo.stdout_line();
    CHECK(has(final_stats, "\"num_connections\":0"));
    CHECK(has(final_stats, "\"handler_ok\":1"));
    CHECK(echo.wait_exit() == 0);
}

}  // namespace berth::echo_test
