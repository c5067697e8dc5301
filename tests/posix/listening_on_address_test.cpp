// listening_on is computed once and survives close; listening_on_address asks the
// socket and reports a clear error once it is closed.
#include <stdexcept>
#include <string>

#include "berth/posix/listener.hpp"
#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

TEST_CASE("listening_on keeps working after close and listening_on_address refuses clearly") {
    test::fd_leak_check leak_check;
    listener l = listener::create(
        listen_spec::bind_to(bind_address::localhost(), bind_port::chosen_by_os()));
    const std::uint16_t port = l.listening_on().port;
    l.close();
    CHECK_FALSE(l.is_open());
    CHECK(l.fd() == -1);
    CHECK(l.listening_on().port == port);
    try {
        static_cast<void>(l.listening_on_address());
        FAIL("listening_on_address worked after close");
    } catch (const std::logic_error& e) {
        CHECK(std::string(e.what()) == "listening_on_address: the listener (listening on " +
                                           std::to_string(port) + ") is closed");
    }
    l.close();  // idempotent
    CHECK_FALSE(l.is_open());
}

TEST_CASE("a moved-from listener owns nothing and the moved-to one closes the socket") {
    test::fd_leak_check leak_check;
    listener a = listener::create(listen_spec::of_port_chosen_by_os());
    const int fd = a.fd();
    listener b = std::move(a);
    CHECK(b.fd() == fd);
    CHECK(a.fd() == -1);  // NOLINT(bugprone-use-after-move): the state after a move is the point
    b = listener::create(listen_spec::of_port_chosen_by_os());
    // The old socket was closed: its number is free, or reused by the new listener.
    CHECK((!test::is_open_fd(fd) || b.fd() == fd));
}

}  // namespace
}  // namespace berth::posix
