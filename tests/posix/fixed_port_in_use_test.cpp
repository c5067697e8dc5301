// A fixed port already in use fails at once, and the message names the operation,
// the full address, the error's name and text, and a hint.
#include <cerrno>
#include <netinet/in.h>
#include <string>

#include "berth/errors.hpp"
#include "berth/posix/listener.hpp"
#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

TEST_CASE("a fixed port in use fails at once with a message that says what to do") {
    test::fd_leak_check leak_check;
    const listener first = listener::create(
        listen_spec::bind_to(bind_address::localhost(), bind_port::chosen_by_os()));
    const std::uint16_t port = first.listening_on().port;
    try {
        static_cast<void>(listener::create(
            listen_spec::bind_to(bind_address::localhost(), bind_port::number(port))));
        FAIL("the second listener bound a port in use");
    } catch (const listen_error& e) {
        CHECK(e.error_value() == EADDRINUSE);
        CHECK(e.attempts() == 1);
        CHECK(e.operation() == "bind");
        CHECK(e.address() == "127.0.0.1:" + std::to_string(port));
        CHECK(std::string(e.what()) ==
              "bind 127.0.0.1:" + std::to_string(port) +
                  " failed: EADDRINUSE (Address already in use); another socket is already "
                  "bound to this address and port: stop it, choose another port, or use port 0 "
                  "to let the OS choose");
    }
}

int bind_denied(int, const sockaddr*, socklen_t) {
    errno = EACCES;
    return -1;
}

TEST_CASE("a port below 1024 refused for lack of privilege gets the capability hint") {
    // Tests may run as root, where binding port 80 works: the seam plays the kernel.
    test::fd_leak_check leak_check;
    listen_calls calls;
    calls.bind = bind_denied;
    try {
        static_cast<void>(listener::create(listen_spec::of_port(80), 64, calls));
        FAIL("creation succeeded");
    } catch (const listen_error& e) {
        CHECK(std::string(e.what()) ==
              "bind 0.0.0.0:80 failed: EACCES (Permission denied); ports below 1024 need root "
              "or the CAP_NET_BIND_SERVICE capability");
    }
}

TEST_CASE("an address no interface has is refused with a hint") {
    test::fd_leak_check leak_check;
    in_addr address{};
    address.s_addr = htonl(0xC0000201);  // 192.0.2.1, TEST-NET-1: never assigned here
    try {
        static_cast<void>(listener::create(
            listen_spec::bind_to(bind_address::ipv4(address), bind_port::chosen_by_os())));
        FAIL("creation succeeded");
    } catch (const listen_error& e) {
        CHECK(std::string(e.what()) ==
              "bind 192.0.2.1:0 failed: EADDRNOTAVAIL (Cannot assign requested address); no "
              "interface of this machine has this address");
    }
}

}  // namespace
}  // namespace berth::posix
