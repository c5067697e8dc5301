// SEMANTICS.md section 9 on libuv: the description (operator<< and write_json)
// names where the server listens, its options and policy, each connection's id
// and peer, the accept step, drop mode, the closed state and the statistics; the
// JSON is well formed before and after close.
#include <string>

#include <doctest/doctest.h>

#include "berth/uv/line_protocol.hpp"
#include "berth/uv/server.hpp"
#include "description_checks.hpp"
#include "json_syntax.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

using test::check_closed_description;
using test::check_live_description;
using test::described_options;

TEST_CASE("the description names options, policy, peers, accept step, drop mode and stats") {
    const int before = count_descriptors();
    test_loop loop;
    int errors = 0;
    uv::server_hooks hooks;
    hooks.on_handler_error = [&errors](const posix::socket_address&, std::exception_ptr) {
        ++errors;
    };
    uv::server s =
        uv::server::create(loop.get(),
                           posix::listen_spec::bind_to(posix::bind_address::localhost(),
                                                       posix::bind_port::chosen_by_os()),
                           described_options(), uv::line_protocol_handler(loop.get()), hooks);
    const std::string port = std::to_string(s.listening_on().port);
    test_client first = test_client::tcp(s.listening_on().port);
    test_client second = test_client::tcp(s.listening_on().port);
    first.send("one\n");
    second.send("two\n");
    REQUIRE(first.read_line(loop, 1000 * ms) == "one");
    REQUIRE(second.read_line(loop, 1000 * ms) == "two");
    s.set_drop_incoming_connections(true);
    const std::string first_peer = first.local_address().to_string();
    const std::string second_peer = second.local_address().to_string();

    check_live_description(s, {"uv", port, first_peer, second_peer});

    first.send("fail\n");  // one handler error, seen by the statistics and the hook
    REQUIRE(loop.run_until([&] { return errors == 1; }, 1000 * ms));
    bool finished = false;
    s.close(true);
    s.handlers_finished([&] { finished = true; });
    REQUIRE(loop.run_until([&] { return finished; }, 1000 * ms));

    check_closed_description(s);
    first.close();
    second.close();
    CHECK(loop.close_loop() == 0);
    CHECK(count_descriptors() == before);
}

}  // namespace berth::uv_test
