// SEMANTICS.md section 9 on Asio: the description (operator<< and write_json) names
// where the server listens, its options and policy, each connection's id and peer,
// the accept step, drop mode, the closed state and the statistics; the JSON is
// well formed before and after close.
#include <string>

#include "asio_test_support.hpp"
#include "berth/line_protocol.hpp"
#include "description_checks.hpp"
#include "json_syntax.hpp"

namespace berth::asio_test {

using test::check_closed_description;
using test::check_live_description;
using test::described_options;

namespace net = boost::asio;

namespace {

server_hooks counting_hooks(int& errors) {
    server_hooks hooks;
    hooks.on_handler_error = [&errors](const address&, std::exception_ptr) { ++errors; };
    return hooks;
}

}  // namespace

TEST_CASE("the description names options, policy, peers, accept step, drop mode and stats") {
    const std::size_t before = open_descriptors();
    {
        net::io_context ctx;
        int errors = 0;
        asio::server s = asio::server::create(ctx, loopback(), described_options(),
                                              line_protocol_handler(), counting_hooks(errors));
        const std::string port = std::to_string(s.listening_on().port);
        peer first(s.listening_on_address());
        peer second(s.listening_on_address());
        first.send("one\n");
        second.send("two\n");
        REQUIRE(run_until(
            ctx, [&] { return first.received() == "one\n" && second.received() == "two\n"; }));
        s.set_drop_incoming_connections(true);
        const std::string first_peer = first.local_address().to_string();
        const std::string second_peer = second.local_address().to_string();

        check_live_description(s, {"asio", port, first_peer, second_peer});

        first.send("fail\n");  // one handler error, seen by the statistics and the hook
        bool finished = false;
        REQUIRE(run_until(ctx, [&] { return errors == 1; }));
        s.close(true, [] {});
        s.handlers_finished([&] { finished = true; });
        REQUIRE(run_until(ctx, [&] { return finished; }));

        check_closed_description(s);
        first.close();
        second.close();
        CHECK(runs_out_of_work(ctx));
    }
    CHECK(open_descriptors() == before);
}

TEST_CASE("the JSON checker refuses what is not JSON") {
    // The check above would pass vacuously if the checker accepted anything.
    CHECK(test_json::syntax::well_formed(R"({"a":[1,-2.5e3,true,null,{"b":"c\"\u00e9"}],"d":{}})"));
    CHECK_FALSE(test_json::syntax::well_formed(R"({"a":1,})"));
    CHECK_FALSE(test_json::syntax::well_formed(R"({"a":[1 2]})"));
    CHECK_FALSE(test_json::syntax::well_formed(R"({"a":"x})"));
    CHECK_FALSE(test_json::syntax::well_formed(R"({"a":1}})"));
    CHECK_FALSE(test_json::syntax::well_formed(R"({a:1})"));
    CHECK_FALSE(test_json::syntax::well_formed("{\"a\":\"\x01\"}"));
    CHECK_FALSE(test_json::syntax::well_formed(R"({"a":"\x"})"));
    CHECK_FALSE(test_json::syntax::well_formed(R"({"a":01.})"));
    CHECK_FALSE(test_json::syntax::well_formed(""));
}

}  // namespace berth::asio_test
