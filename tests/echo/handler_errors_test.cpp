// berth-echo's --on-handler-error: raise ends the process with status 70, call
// prints each error as one line and goes on.
#include <string>

#include <doctest/doctest.h>

#include "echo_support.hpp"

namespace berth::echo_test {

TEST_CASE("raise: a failing handler ends the process with the error and status 70") {
    echo_process echo({"--listen", "127.0.0.1:0", "--on-handler-error", "raise"});
    line_client client(echo.listening_port());
    client.send("fail\n");
    CHECK(echo.wait_exit() == 70);
    CHECK(echo.stderr_text().find("fail requested") != std::string::npos);
}

TEST_CASE("call: each error is one line on stderr and the server goes on") {
    echo_process echo({"--listen", "127.0.0.1:0", "--on-handler-error", "call"});
    const std::uint16_t port = echo.listening_port();
    {
        line_client first(port);
        first.send("fail\n");
        const std::optional<std::string> error = echo.stderr_line();
        REQUIRE(error.has_value());
        CHECK(error->find("fail requested") != std::string::npos);
        CHECK(error->find("127.0.0.1:") != std::string::npos);
    }
    line_client second(port);
    second.send("still here\n");
    CHECK(second.line() == "still here");
}

TEST_CASE("ignore: a failing handler is not reported and the server goes on") {
    echo_process echo({"--listen", "127.0.0.1:0", "--on-handler-error", "ignore"});
    const std::uint16_t port = echo.listening_port();
    {
        line_client first(port);
        first.send("fail\n");
        CHECK(first.closed_by_server());
    }
    line_client second(port);
    second.send("x\n");
    CHECK(second.line() == "x");
    CHECK_FALSE(echo.stderr_line(50).has_value());
}

}  // namespace berth::echo_test
