// berth-echo's line protocol (berth/line_protocol.hpp): echo, quit, flood, sleep,
// read, and the writer's limits as the flags set them.
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

TEST_CASE("read N answers the next N bytes, newlines included, on one line") {
    echo_process echo({"--listen", "127.0.0.1:0"});
    line_client client(echo.listening_port());
    client.send("read 5\nab\ncdafter\n");
    CHECK(client.line() == "got 5:ab");
    CHECK(client.line() == "cd");
    CHECK(client.line() == "after");
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

TEST_CASE("an answer beyond --buffer-limit fails the connection with the limit's message") {
    echo_process echo({"--listen", "127.0.0.1:0", "--buffer-limit", "1000"});
    line_client client(echo.listening_port());
    client.send("short\n");
    CHECK(client.line() == "short");  // an answer within the limit goes through
    client.send(std::string(2000, 'y') + "\n");
    const std::optional<std::string> error = echo.stderr_line();
    REQUIRE(error.has_value());
    CHECK_MESSAGE(error->find("writer buffer full: ") != std::string::npos, *error);
    CHECK_MESSAGE(
        error->find(" bytes refused (buffer_limit_bytes 1000 exceeded)") != std::string::npos,
        *error);
    CHECK(client.closed_by_server());
}

TEST_CASE("--buffer-limit unlimited lets a flood through whole") {
    echo_process echo({"--listen", "127.0.0.1:0", "--buffer-limit", "unlimited"});
    line_client client(echo.listening_port());
    client.send("flood 200000\nafter\n");
    CHECK(client.read_bytes(200000) == std::string(200000, 'x'));
    CHECK(client.line() == "after");
}

}  // namespace berth::echo_test
