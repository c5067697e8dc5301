// berth-echo's line protocol: echo, quit, flood, sleep.
#include <string>

#include <doctest/doctest.h>

#include "echo_support.hpp"

namespace berth::echo_test {

TEST_CASE("each line is echoed back") {
    echo_process echo({"--listen", "127.0.0.1:0"});
    line_client client(echo.listening_port());
    client.send("one\ntwo\n");
    CHECK(client.line() == "one");
    CHECK(client.line() == "two");
}

TEST_CASE("quit answers bye and the connection ends") {
    echo_process echo({"--listen", "127.0.0.1:0"});
    line_client client(echo.listening_port());
    client.send("quit\n");
    CHECK(client.line() == "bye");
    CHECK(client.closed_by_server());
}

TEST_CASE("flood N writes N bytes of x") {
    echo_process echo({"--listen", "127.0.0.1:0"});
    line_client client(echo.listening_port());
    client.send("flood 300000\nafter\n");
    CHECK(client.read_bytes(300000) == std::string(300000, 'x'));
    CHECK(client.line() == "after");
}

TEST_CASE("sleep MS pauses the handler, which then reads on") {
    echo_process echo({"--listen", "127.0.0.1:0"});
    line_client client(echo.listening_port());
    client.send("sleep 20\nnext\n");
    CHECK(client.line() == "sleep 20");
    CHECK(client.line() == "next");
}

TEST_CASE("a flood the client does not read trips the buffer age limit") {
    echo_process echo({"--listen", "127.0.0.1:0", "--buffer-age-limit", "0.2"});
    line_client client(echo.listening_port());
    client.send("flood 50000000\n");
    const std::optional<std::string> error = echo.stderr_line();
    REQUIRE(error.has_value());
    CHECK(error->find("too old") != std::string::npos);
    CHECK(client.closed_by_server());
}

}  // namespace berth::echo_test
