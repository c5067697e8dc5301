// Socket addresses print as an operator reads them, for every family, and convert
// to and from berth::address (the portable form) without losing anything;
// berth::address::parse reads back what to_string writes.
#include "berth/posix/socket_address.hpp"

#include <arpa/inet.h>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <netinet/in.h>
#include <sstream>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

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

namespace berth::posix {
namespace {

bool same_bytes(const socket_address& a, const socket_address& b) {
    return a.length() == b.length() && std::memcmp(a.data(), b.data(), a.length()) == 0;
}

socket_address kernel_name_of(int fd) {
    sockaddr_storage storage{};
    socklen_t length = sizeof(storage);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) == 0);
    return socket_address(reinterpret_cast<const sockaddr*>(&storage), length);
}

// Runs `f` in a child process: whether it returned true, rather than failing,
// aborting or tripping a sanitizer (which would end every other test too).
template <typename F>
bool runs_cleanly_in_child(F f) {
    static_cast<void>(std::fflush(nullptr));  // the child must not repeat the parent's output
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // The default actions, not the test framework's crash reports.
        for (const int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE})
            static_cast<void>(std::signal(sig, SIG_DFL));
        ::_exit(f() ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    INFO("child status ", status);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST_CASE("an unnamed Unix address converts to a sockaddr of the bare family and back") {
    // In a child: the conversion copies the empty name with memcpy from a null
    // pointer, undefined behaviour that UBSan stops at.
    CHECK(runs_cleanly_in_child([] {
        const socket_address unnamed(berth::address::unix_unnamed());
        return unnamed.family() == AF_UNIX && unnamed.length() == offsetof(sockaddr_un, sun_path) &&
               unnamed.to_address() == berth::address::unix_unnamed() &&
               unnamed.to_address().unix_name().empty();
    }));
    // From the kernel's side, an unnamed socket's address is the bare family.
    sockaddr_un bare{};
    bare.sun_family = AF_UNIX;
    const socket_address from_kernel(reinterpret_cast<const sockaddr*>(&bare),
                                     offsetof(sockaddr_un, sun_path));
    CHECK(from_kernel.to_address() == berth::address::unix_unnamed());
}

TEST_CASE("an IPv4 socket_address converts to berth::address and back byte for byte") {
    const socket_address sa = test::loopback_v4(8080);
    const berth::address a = sa.to_address();
    CHECK(a == berth::address::ipv4({127, 0, 0, 1}, 8080));
    CHECK(a.family() == berth::address::family_type::ipv4);
    CHECK(a.port() == 8080);
    CHECK(a.ip_bytes() == std::string_view("\x7f\0\0\x01", 4));
    CHECK(a.to_string() == "127.0.0.1:8080");
    const socket_address back(a);
    CHECK(back.family() == AF_INET);
    CHECK(back.length() == sizeof(sockaddr_in));
    CHECK(same_bytes(back, sa));
}

TEST_CASE("an IPv6 socket_address keeps its scope id through berth::address and back") {
    const socket_address sa = ipv6("fe80::1", 80, 2);
    const berth::address a = sa.to_address();
    CHECK(a.family() == berth::address::family_type::ipv6);
    CHECK(a.scope_id() == 2);
    CHECK(a.port() == 80);
    CHECK(a.ip_bytes().size() == 16);
    CHECK(a.to_string() == "[fe80::1%2]:80");
    const socket_address back(a);
    CHECK(back.length() == sizeof(sockaddr_in6));
    sockaddr_in6 in6{};
    std::memcpy(&in6, back.data(), sizeof(in6));
    CHECK(in6.sin6_scope_id == 2);
    CHECK(ntohs(in6.sin6_port) == 80);
    CHECK(same_bytes(back, sa));
    // Without a scope, and an IPv4-mapped one.
    CHECK(ipv6("::1", 443, 0).to_address().scope_id() == 0);
    CHECK(same_bytes(socket_address(ipv6("::ffff:10.0.0.1", 1, 0).to_address()),
                     ipv6("::ffff:10.0.0.1", 1, 0)));
}

TEST_CASE("Unix path, abstract and unnamed addresses convert both ways with the kernel's lengths") {
    const socket_address path = test::unix_address("/run/x.sock");
    CHECK(path.to_address() == berth::address::unix_path("/run/x.sock"));
    const socket_address path_back(berth::address::unix_path("/run/x.sock"));
    CHECK(path_back.length() == offsetof(sockaddr_un, sun_path) + 11 + 1);  // with its NUL
    CHECK(path_back.to_string() == "/run/x.sock");

    // An abstract name is exactly its bytes after the leading NUL, NULs included.
    const std::string name("a\0b", 3);
    const berth::address abstract = berth::address::unix_abstract(name);
    const socket_address abstract_back(abstract);
    CHECK(abstract_back.length() == offsetof(sockaddr_un, sun_path) + 1 + 3);
    CHECK(abstract_back.to_address() == abstract);
    CHECK(abstract_back.to_address().unix_name() == name);
    CHECK(abstract.to_string() == std::string("@a\0b", 4));

    // The longest names an address holds go through whole: a path that fills
    // sun_path without a terminator, an abstract name one byte shorter.
    const std::string longest(berth::address::unix_name_max, 'p');
    CHECK(socket_address(berth::address::unix_path(longest)).to_address().unix_name() == longest);
    const std::string longest_abstract(berth::address::unix_abstract_name_max, 'p');
    CHECK(
        socket_address(berth::address::unix_abstract(longest_abstract)).to_address().unix_name() ==
        longest_abstract);
}

TEST_CASE("the empty address and unknown families convert to the empty berth::address") {
    const socket_address none(berth::address{});
    CHECK(none.family() == AF_UNSPEC);
    CHECK(none.length() == 0);
    CHECK(none.to_address() == berth::address{});
    CHECK(none.to_address().family() == berth::address::family_type::none);
    sockaddr other{};
    other.sa_family = AF_APPLETALK;
    const socket_address appletalk(&other, sizeof(other));
    CHECK(appletalk.to_address() == berth::address{});
    CHECK(appletalk.to_string() == "(address family " + std::to_string(AF_APPLETALK) + ")");
}

TEST_CASE("addresses the kernel binds come back from getsockname as the same berth::address") {
    test::fd_leak_check leak_check;
    const std::string abstract_name = test::unique_abstract_name("round-trip");
    test::temp_dir dir;
    for (const berth::address& a :
         {berth::address::ipv4({127, 0, 0, 1}, 0),
          berth::address::ipv6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 0),
          berth::address::unix_path(dir.file("s")), berth::address::unix_abstract(abstract_name)}) {
        CAPTURE(a.to_string());
        const socket_address sa(a);
        const int fd = ::socket(sa.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        REQUIRE(::bind(fd, sa.data(), sa.length()) == 0);
        const berth::address bound = kernel_name_of(fd).to_address();
        CHECK(bound.family() == a.family());
        if (a.is_inet()) {
            CHECK(bound.ip_bytes() == a.ip_bytes());
            CHECK(bound.port() != 0);  // chosen by the kernel
        } else {
            CHECK(bound == a);
        }
        ::close(fd);
    }
}

TEST_CASE("address::parse reads back every form to_string writes, and the listen forms") {
    for (const berth::address& a :
         {berth::address::ipv4({127, 0, 0, 1}, 8080), berth::address::ipv4({0, 0, 0, 0}, 0),
          berth::address::ipv4({255, 255, 255, 255}, 65535), ipv6("::1", 443, 0).to_address(),
          ipv6("fe80::1", 80, 2).to_address(), ipv6("::ffff:10.0.0.1", 1, 0).to_address(),
          ipv6("2001:db8::42", 9, 4294967295U).to_address()}) {
        CAPTURE(a.to_string());
        CHECK(berth::address::parse(a.to_string()) == a);
    }
    CHECK(berth::address::parse("unix:/run/x.sock") == berth::address::unix_path("/run/x.sock"));
    CHECK(berth::address::parse("unix:@name") == berth::address::unix_abstract("name"));
    CHECK(berth::address::parse("unix:relative.sock") ==
          berth::address::unix_path("relative.sock"));
    const std::string longest(berth::address::unix_name_max, 'n');
    CHECK(berth::address::parse("unix:" + longest) == berth::address::unix_path(longest));
    const std::string longest_abstract(berth::address::unix_abstract_name_max, 'n');
    CHECK(berth::address::parse("unix:@" + longest_abstract) ==
          berth::address::unix_abstract(longest_abstract));
    // What a sim server's listen string is, parsed to the address it connects to.
    CHECK(berth::address::parse("127.0.0.1:0") == berth::address::ipv4({127, 0, 0, 1}, 0));
}

TEST_CASE("address::parse refuses what is not an address, without resolving names") {
    for (const char* text : {"",
                             "127.0.0.1",
                             "127.0.0.1:",
                             "127.0.0.1:65536",
                             "127.0.0.1:-1",
                             "127.0.0.1:+1",
                             "127.0.0.1:8x",
                             " 127.0.0.1:80",
                             "256.0.0.1:80",
                             "localhost:80",
                             "example.com:80",
                             ":80",
                             "[::1]",
                             "[::1]80",
                             "[::1]:",
                             "[::1]:99999",
                             "[::1%]:80",
                             "[fe80::1%eth0]:80",
                             "[fe80::1%2x]:80",
                             "::1:80",
                             "[127.0.0.1]:80",
                             "unix:",
                             "(none)",
                             "(unnamed)",
                             "/run/x.sock",
                             "@name"}) {
        CAPTURE(text);
        CHECK_FALSE(berth::address::parse(text).has_value());
    }
    CHECK_FALSE(
        berth::address::parse("unix:" + std::string(berth::address::unix_name_max + 1, 'n')));
    CHECK_FALSE(berth::address::parse(
        "unix:@" + std::string(berth::address::unix_abstract_name_max + 1, 'n')));
}

// Linux lets a socket bind a 108-byte path without a terminating NUL, and then
// reports it (getsockname, and accept for a client bound to it) as 108 bytes of
// path: a peer anybody on the machine can make. Converting it must not stop the
// process; it runs in a child so that a failure here does not end the other tests.
TEST_CASE("a peer bound to a 108-byte Unix path converts to an address without aborting") {
    test::fd_leak_check leak_check;
    test::temp_dir dir;
    const std::filesystem::path saved_cwd = std::filesystem::current_path();
    std::filesystem::current_path(dir.path());
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::memset(un.sun_path, 'a', sizeof(un.sun_path));  // no terminator
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&un), sizeof(un)) == 0);
    const socket_address reported = kernel_name_of(fd);
    ::close(fd);
    static_cast<void>(::unlink(std::string(un.sun_path, sizeof(un.sun_path)).c_str()));
    std::filesystem::current_path(saved_cwd);
    CHECK(reported.length() > offsetof(sockaddr_un, sun_path) + sizeof(un.sun_path) - 1);
    CHECK(runs_cleanly_in_child([&] {
        const berth::address a = reported.to_address();
        return a.family() == berth::address::family_type::unix_path &&
               !reported.to_string().empty();
    }));
}

}  // namespace
}  // namespace berth::posix
