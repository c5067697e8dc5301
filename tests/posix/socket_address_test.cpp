// Socket addresses print as an operator reads them, for every family.
#include "berth/posix/socket_address.hpp"

#include <arpa/inet.h>
#include <cstddef>
#include <cstring>
#include <netinet/in.h>
#include <sstream>
#include <sys/un.h>

#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

socket_address ipv6(const char* text, std::uint16_t port, std::uint32_t scope_id) {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    REQUIRE(::inet_pton(AF_INET6, text, &in6.sin6_addr) == 1);
    in6.sin6_port = htons(port);
    in6.sin6_scope_id = scope_id;
    return socket_address(reinterpret_cast<const sockaddr*>(&in6), sizeof(in6));
}

TEST_CASE("IPv4 addresses print as address:port") {
    CHECK(test::loopback_v4(8080).to_string() == "127.0.0.1:8080");
    CHECK(test::loopback_v4(8080).port() == 8080);
    CHECK(test::loopback_v4(8080).is_inet());
}

TEST_CASE("IPv6 addresses print in brackets, with the scope when there is one") {
    CHECK(ipv6("::1", 443, 0).to_string() == "[::1]:443");
    CHECK(ipv6("fe80::1", 80, 2).to_string() == "[fe80::1%2]:80");
    CHECK(ipv6("::ffff:10.0.0.1", 1, 0).to_string() == "[::ffff:10.0.0.1]:1");
    CHECK(ipv6("::1", 443, 0).port() == 443);
}

TEST_CASE("Unix addresses print as the path, @name, or unnamed") {
    CHECK(test::unix_address("/run/x.sock").to_string() == "/run/x.sock");
    CHECK(test::unix_address("@name").to_string() == "@name");
    CHECK(test::unix_address("/run/x.sock").port() == 0);
    CHECK_FALSE(test::unix_address("/run/x.sock").is_inet());
    sockaddr_un unnamed{};
    unnamed.sun_family = AF_UNIX;
    CHECK(
        socket_address(reinterpret_cast<const sockaddr*>(&unnamed), offsetof(sockaddr_un, sun_path))
            .to_string() == "(unnamed)");
}

TEST_CASE("an abstract name may contain NUL bytes and is printed whole") {
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path, "\0a\0b", 4);
    const socket_address address(reinterpret_cast<const sockaddr*>(&un),
                                 offsetof(sockaddr_un, sun_path) + 4);
    CHECK(address.to_string() == std::string("@a\0b", 4));
}

TEST_CASE("the empty address prints as none and streams like to_string") {
    CHECK(socket_address().to_string() == "(none)");
    std::ostringstream os;
    os << test::loopback_v4(1);
    CHECK(os.str() == "127.0.0.1:1");
}

}  // namespace
}  // namespace berth::posix
