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
#include "description_checks.hpp"

namespace berth::sim {

namespace {

core::options ignoring(std::uint32_t max_connections) {
    core::options opts;
    opts.max_connections = max_connections;
    opts.on_handler_error = core::error_policy::ignore;
    return opts;
}

std::string json_of(const server& s) {
    return test::json_of(s);
}

bool has_control_character(const std::string& text) {
    return std::any_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

}  // namespace

// A client in the world that sends `line` and keeps what comes back.
struct line_client {
    std::optional<socket> sock;
    std::string received;
};

task<> talk(world& w, address to, std::string line, line_client& c) {
    connect_result r = co_await w.connect(to);
    if (!r.sock) co_return;
    c.sock.emplace(*r.sock);
    c.sock->send(line + "\n");
    const line_result got = co_await c.sock->read_line();
    if (got.line) c.received = *got.line;
}

TEST_CASE(
    "the description names options, policy, peers, accept step, drop mode and stats, as text "
    "and as well-formed JSON, before and after close") {
    world w(3);
    int errors = 0;
    server_hooks hooks;
    hooks.on_handler_error = [&errors](const address&, std::exception_ptr) { ++errors; };
    server s =
        server::create(w, "127.0.0.1:0", test::described_options(), line_protocol_handler(), hooks);
    const std::string port = s.listening_on().to_string();
    CHECK(port == std::to_string(s.listening_on_address().port()));
    line_client first;
    line_client second;
    w.spawn(talk(w, s.listening_on_address(), "one", first));
    w.spawn(talk(w, s.listening_on_address(), "two", second));
    REQUIRE(w.run_until([&] { return first.received == "one" && second.received == "two"; },
                        core::ns_per_s));
    s.set_drop_incoming_connections(true);

    test::check_live_description(
        s, {"sim", port, first.sock->local_address(), second.sock->local_address()});

    first.sock->send("fail\n");  // one handler error, seen by the statistics and the hook
    REQUIRE(w.run_until([&] { return errors == 1; }, core::ns_per_s));
    bool finished = false;
    s.close(true);
    s.handlers_finished([&] { finished = true; });
    REQUIRE(w.run_until([&] { return finished; }, core::ns_per_s));

    test::check_closed_description(s);
    first.sock->close();
    second.sock->close();
    w.run();
    CHECK(w.net().fds_in_use() == 0);
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
