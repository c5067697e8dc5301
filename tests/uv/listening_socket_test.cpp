// SEMANTICS.md section 9 on libuv: listening_socket() is the native listening
// descriptor while the server is open and -1 after close; listening_on_address()
// asks that socket, so it throws a clear error once it is closed, while
// listening_on() stays known.
#include <stdexcept>
#include <string>
#include <sys/socket.h>

#include <doctest/doctest.h>

#include "berth/line_protocol.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

namespace {

int accepts_connections(int fd) {
    int value = -1;
    socklen_t length = sizeof(value);
    REQUIRE(::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &length) == 0);
    return value;
}

}  // namespace

TEST_CASE("listening_socket is the listening descriptor while open and -1 after close") {
    const std::size_t before = count_descriptors();
    test_loop loop;
    core::options o;
    o.max_connections = 2;
    o.on_handler_error = core::error_policy::ignore;
    uv::server s = uv::server::create_sock(loop.get(), loopback(), o, line_protocol_sock_handler());
    const int fd = s.listening_socket();
    REQUIRE(fd >= 0);
    CHECK(accepts_connections(fd) == 1);
    const address where = s.listening_on_address();
    CHECK(where.port() == s.listening_on().port);
    CHECK(where.to_string() == "127.0.0.1:" + std::to_string(s.listening_on().port));

    bool closed = false;
    s.close(false, [&] { closed = true; });
    REQUIRE(loop.run_until([&] { return closed; }));
    CHECK(s.listening_socket() == -1);
    CHECK(s.listening_on().port == where.port());
    try {
        static_cast<void>(s.listening_on_address());
        FAIL("listening_on_address() after close must throw");
    } catch (const std::logic_error& e) {
        const std::string message = e.what();
        CAPTURE(message);
        CHECK(message.find("closed") != std::string::npos);
    }
    CHECK(s.invariant());
    CHECK(loop.close_loop() == 0);
    CHECK(count_descriptors() == before);
}

}  // namespace berth::uv_test
