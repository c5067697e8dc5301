// berth-echo's first line: "listening on ADDR" with the actual address, flushed.
#include <csignal>
#include <string>
#include <unistd.h>

#include <doctest/doctest.h>

#include "echo_support.hpp"

namespace berth::echo_test {

TEST_CASE("the first line names the actual port chosen by the OS") {
    echo_process echo({"--listen", "127.0.0.1:0"});
    const std::uint16_t port = echo.listening_port();
    line_client client(port);  // the port printed is the one served
    client.send("hello\n");
    CHECK(client.line() == "hello");
}

TEST_CASE("the first line names a Unix abstract address as given") {
    const std::string name = "berth-echo-test-" + std::to_string(::getpid());
    echo_process echo({"--listen", "unix:@" + name});
    CHECK(echo.stdout_line() == "listening on unix:@" + name);
    echo.send_signal(SIGTERM);
    CHECK(echo.wait_exit() == 0);
}

}  // namespace berth::echo_test
