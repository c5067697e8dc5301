// SEMANTICS.md section 9 on libuv: where the server listens, its native socket,
// drop mode, the description (text and JSON) and the invariant.
#include <sstream>
#include <stdexcept>

#include <doctest/doctest.h>

#include "berth/line_protocol.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

TEST_CASE("introspection reports the listening socket, drop mode and a description") {
    const std::size_t before = count_descriptors();
    test_loop loop;
    core::options o;
    o.max_connections = 3;
    o.on_handler_error = core::error_policy::ignore;
    uv::server s = uv::server::create(loop.get(), loopback(), o, line_protocol_handler());
    CHECK(s.listening_on().port != 0);
    CHECK(s.listening_on_address().port() == s.listening_on().port);
    CHECK(s.listening_socket() >= 0);
    CHECK(s.loop() == loop.get());
    CHECK(s.options().max_connections == 3);

    peer c(s.listening_on_address());
    c.send("x\n");
    CHECK(loop.run_until([&] { return c.received() == "x\n"; }));
    CHECK(s.num_connections() == 1);

    s.set_drop_incoming_connections(true);
    CHECK(s.is_dropping_incoming_connections());
    std::ostringstream text;
    text << s;
    CHECK(text.str().find("(uv)") != std::string::npos);
    CHECK(text.str().find("127.0.0.1:") != std::string::npos);  // the peer
    std::ostringstream json;
    s.write_json(json);
    CHECK(json.str().find("\"backend\":\"uv\"") != std::string::npos);
    CHECK(json.str().find("\"peers\":[{") != std::string::npos);
    CHECK(s.invariant());

    s.close(true);
    CHECK(s.is_closed());
    CHECK(s.listening_socket() == -1);
    CHECK_THROWS_AS(static_cast<void>(s.listening_on_address()), std::logic_error);
    CHECK(s.listening_on().port != 0);  // still known after close
    CHECK(loop.close_loop() == 0);
    CHECK(s.invariant());
    c.close();
    CHECK(count_descriptors() == before);
}

}  // namespace berth::uv_test
