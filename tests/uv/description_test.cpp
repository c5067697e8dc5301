// SEMANTICS.md section 9 on libuv: the description (operator<< and write_json)
// names where the server listens, its options and policy, each connection's id
// and peer, the accept step, drop mode, the closed state and the statistics; the
// JSON is well formed before and after close.
#include <sstream>
#include <string>

#include <doctest/doctest.h>

#include "berth/uv/line_protocol.hpp"
#include "berth/uv/server.hpp"
#include "json_syntax.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

namespace {

core::options described_options() {
    core::options o;
    o.max_connections = 3;
    o.max_accepts_per_batch = 5;
    o.backlog = 7;
    o.on_handler_error = core::error_policy::call;
    return o;
}

std::string text_of(const uv::server& s) {
    std::ostringstream os;
    os << s;
    return os.str();
}

std::string json_of(const uv::server& s) {
    std::ostringstream os;
    s.write_json(os);
    return os.str();
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

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

    const std::string text = text_of(s);
    CAPTURE(text);
    for (const std::string& part :
         {"listening_on: " + port + " (uv)", std::string("max_connections: 3"),
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
         {"\"listening_on\":\"" + port + "\"", std::string("\"backend\":\"uv\""),
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
    REQUIRE(loop.run_until([&] { return errors == 1; }, 1000 * ms));
    bool finished = false;
    s.close(true);
    s.handlers_finished([&] { finished = true; });
    REQUIRE(loop.run_until([&] { return finished; }, 1000 * ms));

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
    first.close();
    second.close();
    CHECK(loop.close_loop() == 0);
    CHECK(count_descriptors() == before);
}

}  // namespace berth::uv_test
