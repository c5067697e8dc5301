// berth-echo refuses bad flags and values with a clear message and status 2, and
// reports bind failures with the shared listener's message and status 1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include <doctest/doctest.h>

#include "echo_support.hpp"

namespace berth::echo_test {

namespace {

void check_refused(const std::vector<std::string>& args, const std::string& message) {
    echo_process echo(args);
    CHECK(echo.wait_exit() == 2);
    const std::string err = echo.stderr_text();
    CHECK_MESSAGE(err.find(message) != std::string::npos, err);
    CHECK(err.find("usage: berth-echo") != std::string::npos);
}

}  // namespace

TEST_CASE("unknown flags, bad values and missing values exit 2 with a message") {
    check_refused({"--bogus"}, "unknown argument '--bogus'");
    check_refused({"--max-connections", "0"}, "--max-connections: invalid value '0'");
    check_refused({"--max-accepts-per-batch", "x"}, "expected an integer");
    check_refused({"--backlog", "-1"}, "--backlog: invalid value '-1'");
    check_refused({"--on-handler-error", "explode"}, "expected raise, ignore or call");
    check_refused({"--buffer-age-limit", "soon"}, "--buffer-age-limit");
    check_refused({"--backend", "tokio"}, "--backend: invalid value 'tokio'");
    check_refused({"--listen", "nowhere"}, "--listen:");
    check_refused({"--listen"}, "--listen: missing value");
}

TEST_CASE("--buffer-limit refuses anything but a byte count of at least 1 or 'unlimited'") {
    const std::string rule =
        "expected a number of bytes from 1 to 9223372036854775807, or "
        "'unlimited'";
    check_refused({"--buffer-limit", "0"}, "--buffer-limit: invalid value '0': " + rule);
    check_refused({"--buffer-limit", "-1"}, "--buffer-limit: invalid value '-1': " + rule);
    check_refused({"--buffer-limit", "1MiB"}, "--buffer-limit: invalid value '1MiB': " + rule);
    check_refused({"--buffer-limit", ""}, "--buffer-limit: invalid value '': " + rule);
    check_refused({"--buffer-limit", "9223372036854775808"},
                  "--buffer-limit: invalid value '9223372036854775808': " + rule);
    check_refused({"--buffer-limit"}, "--buffer-limit: missing value");
}

TEST_CASE("a bind failure exits 1 with the listener's message") {
    const int taken = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(taken >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(taken, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
    REQUIRE(::listen(taken, 1) == 0);
    socklen_t length = sizeof(address);
    REQUIRE(::getsockname(taken, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    const std::string port = std::to_string(ntohs(address.sin_port));

    echo_process echo({"--listen", "127.0.0.1:" + port});
    CHECK(echo.wait_exit() == 1);
    const std::string err = echo.stderr_text();
    CHECK_MESSAGE(err.find("127.0.0.1:" + port) != std::string::npos, err);
    CHECK_MESSAGE(err.find("EADDRINUSE") != std::string::npos, err);
    ::close(taken);
}

}  // namespace berth::echo_test
