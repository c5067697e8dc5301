// berth-chat's protocol: a line goes to every other client of the room and never
// back to its sender; /nick renames; a line past the bound is refused and closes.
#include <csignal>
#include <optional>
#include <string>

#include <doctest/doctest.h>

#include "chat_support.hpp"
#include "posix_test_support.hpp"

namespace berth::chat_test {

TEST_CASE("a line from one of three clients reaches the two others and not its sender") {
    const posix::test::fd_leak_check fds;
    echo_process chat({"--listen", "127.0.0.1:0"});
    const std::uint16_t port = chat.listening_port();
    line_client a(port);
    line_client b(port);
    line_client c(port);
    const std::string name_a = joined_as(a);
    const std::string name_b = joined_as(b);
    static_cast<void>(joined_as(c));
    CHECK(name_a.rfind("127.0.0.1:", 0) == 0);
    CHECK(name_a != name_b);

    a.send("hello from a\n");
    CHECK(b.line() == name_a + ": hello from a");
    CHECK(c.line() == name_a + ": hello from a");
    // b answers only once it has a's line; had the server sent a its own line, that
    // line would come first.
    b.send("hi a\n");
    CHECK(a.line() == name_b + ": hi a");
    CHECK(c.line() == name_b + ": hi a");
    // Lines keep their order, and several in one send are each broadcast.
    a.send("one\ntwo\r\nthree\n");
    for (line_client* other : {&b, &c}) {
        CHECK(other->line() == name_a + ": one");
        CHECK(other->line() == name_a + ": two");
        CHECK(other->line() == name_a + ": three");
    }
    CHECK(b.line(100) == std::nullopt);  // nothing else came

    chat.send_signal(SIGTERM);
    for (line_client* each : {&a, &b, &c})
        CHECK(each->line() == "* server shutting down");
}

TEST_CASE(
    "the /nick command renames the sender in what the others receive, and bad nicks are refused") {
    const posix::test::fd_leak_check fds;
    echo_process chat({"--listen", "127.0.0.1:0"});
    const std::uint16_t port = chat.listening_port();
    line_client a(port);
    line_client b(port);
    static_cast<void>(joined_as(a));
    const std::string name_b = joined_as(b);

    a.send("/nick alice\n");
    CHECK(a.line() == "* you are now alice");
    a.send("it is me\n");
    CHECK(b.line() == "alice: it is me");

    b.send("/nick alice\n");
    CHECK(b.line() == "* error: the nick alice is taken");
    b.send("/nick " + std::string(33, 'n') + "\n");
    CHECK(b.line() == "* error: a nick is 1 to 32 characters");
    b.send("/nick \n");
    CHECK(b.line() == "* error: a nick is 1 to 32 characters");
    b.send("/nick 127.0.0.1:1\n");  // would pass for another client's address
    CHECK(b.line() == "* error: a nick holds only letters, digits, '_', '-' and '.'");
    b.send("/shout x\n");
    CHECK(b.line() == "* error: unknown command (the one command is /nick NAME)");
    // None of that was broadcast, and b kept its name.
    b.send("still " + name_b + "\n");
    CHECK(a.line() == name_b + ": still " + name_b);

    b.send("/nick " + std::string(32, 'b') + "\n");
    CHECK(b.line() == "* you are now " + std::string(32, 'b'));
    a.send("/nick alice\n");  // a's own nick again: nothing changes
    CHECK(a.line() == "* you are now alice");
}

TEST_CASE("a line longer than 4096 bytes gets an error line and the server closes its sender") {
    const posix::test::fd_leak_check fds;
    echo_process chat({"--listen", "127.0.0.1:0"});
    const std::uint16_t port = chat.listening_port();
    line_client a(port);
    line_client b(port);
    const std::string name_a = joined_as(a);
    const std::string name_b = joined_as(b);

    const std::string longest(4096, 'x');
    a.send(longest + "\n");
    CHECK(b.line() == name_a + ": " + longest);

    b.send(std::string(4097, 'y') + "\n");
    CHECK(b.line() == "* error: line longer than 4096 bytes; closing");
    CHECK(b.closed_by_server());
    // The long line was not broadcast: a's next line is the next thing said.
    line_client c(port);
    const std::string name_c = joined_as(c);
    c.send("after\n");
    CHECK(a.line() == name_c + ": after");

    // A client that never sends a newline is cut off too, once the reader's own
    // bound (1 MiB) is reached: the server never holds more of its line.
    c.send(std::string((1 << 20) + 1, 'z'));
    CHECK(c.line() == "* error: line longer than 4096 bytes; closing");
    CHECK(c.closed_by_server());

    chat.send_signal(SIGTERM);
    CHECK(a.line() == "* server shutting down");
    a.reset();
    CHECK(chat.wait_exit() == 0);
}

}  // namespace berth::chat_test
