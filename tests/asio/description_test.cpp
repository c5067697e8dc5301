// SEMANTICS.md section 9 on Asio: the description (operator<< and write_json) names
// where the server listens, its options and policy, each connection's id and peer,
// the accept step, drop mode, the closed state and the statistics; the JSON is
// well formed before and after close.
#include <sstream>
#include <string>

#include "asio_test_support.hpp"
#include "berth/asio/line_protocol.hpp"
#include "berth/asio/server.hpp"
#include "json_syntax.hpp"

namespace berth::asio_test {

namespace net = boost::asio;

namespace {

core::options described_options() {
    core::options o;
    o.max_connections = 3;
    o.max_accepts_per_batch = 5;
    o.backlog = 7;
    o.on_handler_error = core::error_policy::call;
    return o;
}

asio::server_hooks counting_hooks(int& errors) {
    asio::server_hooks hooks;
    hooks.on_handler_error = [&errors](const posix::socket_address&, std::exception_ptr) {
        ++errors;
    };
    return hooks;
}

std::string text_of(const asio::server& s) {
    std::ostringstream os;
    os << s;
    return os.str();
}

std::string json_of(const asio::server& s) {
    std::ostringstream os;
    s.write_json(os);
    return os.str();
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("the description names options, policy, peers, accept step, drop mode and stats") {
    net::io_context ctx;
    int errors = 0;
    asio::server s = asio::server::create(
        ctx,
        posix::listen_spec::bind_to(posix::bind_address::localhost(),
                                    posix::bind_port::chosen_by_os()),
        described_options(), asio::line_protocol_handler(), counting_hooks(errors));
    const std::string port = std::to_string(s.listening_on().port);
    client first(s.listening_on_address());
    client second(s.listening_on_address());
    first.send("one\n");
    second.send("two\n");
    REQUIRE(run_until(ctx, [&] {
        return first.poll_received() == "one\n" && second.poll_received() == "two\n";
    }));
    s.set_drop_incoming_connections(true);
    const std::string first_peer = first.local_address().to_string();
    const std::string second_peer = second.local_address().to_string();

    const std::string text = text_of(s);
    CAPTURE(text);
    for (const std::string& part :
         {"listening_on: " + port + " (asio)", std::string("max_connections: 3"),
          std::string("max_accepts_per_batch: 5"), std::string("backlog: 7"),
          std::string("on_handler_error: call"), std::string("drop_incoming_connections: true"),
          std::string("closed: false"), std::string("listener: open"),
          std::string("accept_step: waiting_readable"), std::string("num_connections: 2"),
          std::string("accepted: 2"), std::string("handlers_started: 2"), " " + first_peer,
          " " + second_peer}) {
        CHECK_MESSAGE(contains(text, part), part);
    }

    const std::string json = json_of(s);
    CAPTURE(json);
    CHECK(test_json::syntax::well_formed(json));
    for (const std::string& part :
         {"\"listening_on\":\"" + port + "\"", std::string("\"backend\":\"asio\""),
          std::string("\"max_connections\":3"), std::string("\"max_accepts_per_batch\":5"),
          std::string("\"backlog\":7"), std::string("\"on_handler_error\":\"call\""),
          std::string("\"drop_incoming_connections\":true"), std::string("\"closed\":false"),
          std::string("\"accept_step\":\"waiting_readable\""), std::string("\"num_connections\":2"),
          std::string("\"statistics\":{\"accepted\":2,"), std::string("\"handler_errors\":0"),
          "\"peer\":\"" + first_peer + "\"", "\"peer\":\"" + second_peer + "\""}) {
        CHECK_MESSAGE(contains(json, part), part);
    }
    CHECK(contains(json, "\"peers\":[{\"index\":"));
    CHECK(s.invariant());

    first.send("fail\n");  // one handler error, seen by the statistics and the hook
    bool finished = false;
    REQUIRE(run_until(ctx, [&] { return errors == 1; }));
    s.close(true, [] {});
    s.handlers_finished([&] { finished = true; });
    REQUIRE(run_until(ctx, [&] { return finished; }));

    const std::string closed_text = text_of(s);
    CAPTURE(closed_text);
    CHECK(contains(closed_text, "closed: true"));
    CHECK(contains(closed_text, "listener: closed"));
    CHECK(contains(closed_text, "accept_step: idle"));
    CHECK(contains(closed_text, "connections: none"));
    CHECK(contains(closed_text, "peers: none"));
    const std::string closed_json = json_of(s);
    CAPTURE(closed_json);
    CHECK(test_json::syntax::well_formed(closed_json));
    CHECK(contains(closed_json, "\"closed\":true"));
    CHECK(contains(closed_json, "\"connections\":[]"));
    CHECK(contains(closed_json, "\"peers\":[]"));
    CHECK(contains(closed_json, "\"handler_errors\":1"));
    CHECK(contains(closed_json, "\"handler_ok\":1"));
    CHECK(s.invariant());
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
