// The sim server's description (SEMANTICS.md section 9), which is the engine's, the
// same on every backend: where it listens, the backend, the core's fields and each
// connection's peer, as text and as JSON, with the engine's one JSON escaper.
// Creation's errors are the engine's too.
#include <algorithm>
#include <cerrno>
#include <sstream>
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

#include "berth/errors.hpp"
#include "berth/line_protocol.hpp"
#include "berth/sim/kernel.hpp"
#include "berth/sim/server.hpp"
#include "berth/sim/world.hpp"

namespace berth::sim {

namespace {

core::options ignoring(std::uint32_t max_connections) {
    core::options opts;
    opts.max_connections = max_connections;
    opts.on_handler_error = core::error_policy::ignore;
    return opts;
}

std::string json_of(const server& s) {
    std::ostringstream json;
    s.write_json(json);
    return json.str();
}

bool has_control_character(const std::string& text) {
    return std::any_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

}  // namespace

TEST_CASE("the description names the address, the backend, the options and each peer") {
    world w(3);
    server s = server::create_sock(w, "127.0.0.1:0", ignoring(2), line_protocol_sock_handler());
    const std::string port = s.listening_on().to_string();
    CHECK(port == std::to_string(s.listening_on_address().port()));
    std::optional<socket> client;
    w.net().connect(s.listening_on_address().to_string(), [&](int error, std::uint32_t endpoint) {
        if (error == 0) client.emplace(w, endpoint);
    });
    w.run_until([&] { return s.num_connections() == 1 && client.has_value(); }, core::ns_per_s);
    REQUIRE(client.has_value());

    std::ostringstream text;
    text << s;
    CHECK(text.str().find("listening_on: " + port + " (sim)") != std::string::npos);
    CHECK(text.str().find("max_connections: 2") != std::string::npos);
    CHECK(text.str().find("on_handler_error: ignore") != std::string::npos);
    CHECK(text.str().find(client->local_address()) != std::string::npos);

    const std::string json = json_of(s);
    CHECK(json.find("{\"listening_on\":\"" + port + "\",\"backend\":\"sim\",") == 0);
    CHECK(json.find("\"peer\":\"" + client->local_address() + "\"") != std::string::npos);
    CHECK(json.find("\"num_connections\":1") != std::string::npos);
    CHECK(json.find("\"max_connections\":2") != std::string::npos);
    client->close();
    s.close();
    w.run();
}

TEST_CASE("write_json escapes control characters in a listening name as \\u00XX") {
    world w(3);
    // An abstract name may hold any byte; a path any byte but NUL.
    const std::string name = std::string("@a\x01") + "b\nc\x1f" + "d\"e\\f";
    server abstract =
        server::create_sock(w, "unix:" + name, ignoring(1), line_protocol_sock_handler());
    server path =
        server::create_sock(w, "unix:/tmp/tab\there", ignoring(1), line_protocol_sock_handler());
    CHECK(abstract.listening_on().path == name);

    const std::string abstract_json = json_of(abstract);
    INFO(abstract_json);
    CHECK(abstract_json.find(R"("listening_on":"@a\u0001b\u000ac\u001fd\"e\\f")") !=
          std::string::npos);
    CHECK_FALSE(has_control_character(abstract_json));

    const std::string path_json = json_of(path);
    INFO(path_json);
    CHECK(path_json.find(R"("listening_on":"/tmp/tab\u0009here")") != std::string::npos);
    CHECK_FALSE(has_control_character(path_json));

    // The text form is for people: the name as it is.
    std::ostringstream text;
    text << abstract;
    CHECK(text.str().find("listening_on: " + name + " (sim)") != std::string::npos);
    abstract.close();
    path.close();
    w.run();
    CHECK(w.net().fds_in_use() == 0);
}

// Fails until backends/sim/src/kernel.cpp tells a Unix address by its "unix:"
// prefix: it takes any address without a ':' for Unix, and every listen form has one.
TEST_CASE("a client of a Unix listener reaches the handler as an unnamed Unix peer") {
    world w(3);
    std::optional<address> seen;
    server s = server::create_sock(w, "unix:/tmp/peer.sock", ignoring(1),
                                   [&seen](address peer, berth::stream&) -> task<> {
                                       seen = peer;
                                       co_return;
                                   });
    w.spawn([](world& wd, address where) -> task<> {
        connect_result c = co_await wd.connect(where);
        if (c.sock) c.sock->close();
    }(w, s.listening_on_address()));
    w.run_until([&] { return seen.has_value(); }, core::ns_per_s);
    REQUIRE(seen.has_value());
    CHECK(seen->to_string() == "(unnamed)");
    CHECK(seen->family() == address::family_type::unix_unnamed);
    s.close();
    w.run();
}

TEST_CASE("creation refuses bad options, a missing hook or handler before opening anything") {
    world w(3);
    core::options opts;
    opts.max_connections = 4;  // on_handler_error left unset
    CHECK_THROWS_AS(server::create_sock(w, "127.0.0.1:0", opts, line_protocol_sock_handler()),
                    creation_error);
    opts.on_handler_error = core::error_policy::call;  // call without a function
    CHECK_THROWS_AS(server::create(w, "127.0.0.1:0", opts, line_protocol_handler()),
                    creation_error);
    opts.on_handler_error = core::error_policy::ignore;
    opts.max_connections = 0;  // an explicit 0 is refused (SEMANTICS.md section 2)
    CHECK_THROWS_AS(server::create(w, "127.0.0.1:0", opts, line_protocol_handler()),
                    creation_error);
    opts.max_connections = 4;
    opts.buffer_limit_bytes = 0;
    CHECK_THROWS_AS(server::create(w, "127.0.0.1:0", opts, line_protocol_handler()),
                    creation_error);
    opts.buffer_limit_bytes = core::unlimited_bytes;
    CHECK_THROWS_AS(server::create(w, "127.0.0.1:0", opts, reader_writer_handler()),
                    creation_error);
    CHECK_THROWS_AS(server::create_sock(w, "127.0.0.1:0", opts, stream_handler()), creation_error);
    CHECK(w.net().fds_in_use() == 0);
}

TEST_CASE("an address in use is a listen_error naming the address and the errno") {
    world w(3);
    server first =
        server::create_sock(w, "unix:/tmp/taken.sock", ignoring(1), line_protocol_sock_handler());
    try {
        static_cast<void>(server::create_sock(w, "unix:/tmp/taken.sock", ignoring(1),
                                              line_protocol_sock_handler()));
        FAIL("the second listen succeeded");
    } catch (const listen_error& e) {
        CHECK(std::string(e.what()).find("bind unix:/tmp/taken.sock failed: EADDRINUSE (") == 0);
        CHECK(e.error_value() == EADDRINUSE);
    }
    CHECK(w.net().fds_in_use() == 1);  // the first server's listener, nothing more
    first.close();
    w.run();
    CHECK(w.net().fds_in_use() == 0);
    // listening_on is computed once and outlives the socket; listening_on_address asks it.
    CHECK(first.listening_on().to_string() == "/tmp/taken.sock");
    CHECK_THROWS_AS(static_cast<void>(first.listening_on_address()), std::logic_error);
}

TEST_CASE("max_connections left unset means 90% of the simulated descriptor limit") {
    world_config config;
    config.kernel.fd_limit = 100;
    world w(3, config);
    core::options opts;
    opts.on_handler_error = core::error_policy::ignore;
    const server s =
        server::create_sock(w, "unix:/tmp/sim.sock", opts, line_protocol_sock_handler());
    CHECK(s.options().max_connections == 90);
    CHECK(s.listening_on().is_unix);
    CHECK(s.listening_on().to_string() == "/tmp/sim.sock");
    CHECK(s.listening_on_address() == address::unix_path("/tmp/sim.sock"));
}

}  // namespace berth::sim
