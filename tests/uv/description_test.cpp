// SEMANTICS.md section 9 on libuv: the description (operator<< and write_json)
// names where the server listens, its options and policy, each connection's id
// and peer, the accept step, drop mode, the closed state and the statistics; the
// JSON is well formed before and after close.
#include <string>

#include <doctest/doctest.h>

#include "berth/line_protocol.hpp"
#include "description_checks.hpp"
#include "json_syntax.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

using test::check_closed_description;
using test::check_live_description;
using test::described_options;

TEST_CASE("the description names options, policy, peers, accept step, drop mode and stats") {
    const std::size_t before = count_descriptors();
    test_loop loop;
    int errors = 0;
    server_hooks hooks;
    hooks.on_handler_error = [&errors](const address&, std::exception_ptr) { ++errors; };
    uv::server s = uv::server::create(loop.get(), loopback(), described_options(),
                                      line_protocol_handler(), hooks);
    const std::string port = std::to_string(s.listening_on().port);
    peer first(s.listening_on_address());
    peer second(s.listening_on_address());
    first.send("one\n");
    second.send("two\n");
    REQUIRE(loop.run_until(
        [&] { return first.received() == "one\n" && second.received() == "two\n"; }));
    s.set_drop_incoming_connections(true);
    const std::string first_peer = first.local_address().to_string();
    const std::string second_peer = second.local_address().to_string();

    check_live_description(s, {"uv", port, first_peer, second_peer});

    first.send("fail\n");  // one handler error, seen by the statistics and the hook
    REQUIRE(loop.run_until([&] { return errors == 1; }));
    bool finished = false;
    s.close(true);
    s.handlers_finished([&] { finished = true; });
    REQUIRE(loop.run_until([&] { return finished; }));

    check_closed_description(s);
    first.close();
    second.close();
    CHECK(loop.close_loop() == 0);
    CHECK(count_descriptors() == before);
}

}  // namespace berth::uv_test
