// SEMANTICS.md section 9 on Asio: listening_socket() is the native listening
// descriptor while the server is open and -1 after close; listening_on_address()
// asks that socket, so it throws a clear error once it is closed, while
// listening_on() stays known.
#include <stdexcept>
#include <string>
#include <sys/socket.h>

#include "asio_test_support.hpp"
#include "berth/line_protocol.hpp"

namespace berth::asio_test {

namespace net = boost::asio;

namespace {

int accepts_connections(int fd) {
    int value = -1;
    socklen_t length = sizeof(value);
    REQUIRE(::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &value, &length) == 0);
    return value;
}

}  // namespace

TEST_CASE("listening_socket is the listening descriptor while open and -1 after close") {
    const std::size_t before = open_descriptors();
    {
        net::io_context ctx;
        core::options o;
        o.max_connections = 2;
        o.on_handler_error = core::error_policy::ignore;
        asio::server s =
            asio::server::create_sock(ctx, loopback(), o, line_protocol_sock_handler());
        const int fd = s.listening_socket();
        REQUIRE(fd >= 0);
        CHECK(accepts_connections(fd) == 1);
        const address where = s.listening_on_address();
        CHECK(where.port() == s.listening_on().port);
        CHECK(where.to_string() == "127.0.0.1:" + std::to_string(s.listening_on().port));

        bool closed = false;
        s.close(false, [&] { closed = true; });
        REQUIRE(run_until(ctx, [&] { return closed; }));
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
        CHECK(runs_out_of_work(ctx));
    }
    CHECK(open_descriptors() == before);
}

}  // namespace berth::asio_test
