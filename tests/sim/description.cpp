// The sim server's description (SEMANTICS.md section 9): the core's fields plus
// the listening address and each connection's peer, as text and as JSON.
#include <sstream>

#include <doctest/doctest.h>

#include "berth/sim/kernel.hpp"
#include "berth/sim/line_protocol.hpp"
#include "berth/sim/server.hpp"
#include "berth/sim/world.hpp"

namespace berth::sim {

TEST_CASE("the description names the address, the options and every connection's peer") {
    world w(3);
    core::options opts;
    opts.max_connections = 2;
    opts.on_handler_error = core::error_policy::ignore;
    server s = server::create_sock(w, "127.0.0.1:0", opts, line_protocol_sock_handler(w));
    std::optional<socket> client;
    w.net().connect(s.listening_on(), [&](int error, std::uint32_t endpoint) {
        if (error == 0) client.emplace(w, endpoint);
    });
    w.run_until([&] { return s.num_connections() == 1 && client.has_value(); }, core::ns_per_s);
    REQUIRE(client.has_value());

    std::ostringstream text;
    text << s;
    CHECK(text.str().find("listening_on: " + s.listening_on()) != std::string::npos);
    CHECK(text.str().find("max_connections: 2") != std::string::npos);
    CHECK(text.str().find(client->local_address()) != std::string::npos);

    std::ostringstream json;
    s.write_json(json);
    CHECK(json.str().find("\"listening_on\":\"" + s.listening_on() + "\"") != std::string::npos);
    CHECK(json.str().find("\"peer\":\"" + client->local_address() + "\"") != std::string::npos);
    CHECK(json.str().find("\"num_connections\":1") != std::string::npos);
}

TEST_CASE("creation refuses bad options before opening anything") {
    world w(3);
    core::options opts;
    opts.max_connections = 4;  // on_handler_error left unset
    CHECK_THROWS_AS(server::create_sock(w, "127.0.0.1:0", opts, line_protocol_sock_handler(w)),
                    creation_error);
    opts.on_handler_error = core::error_policy::call;  // call without a function
    CHECK_THROWS_AS(server::create_sock(w, "127.0.0.1:0", opts, line_protocol_sock_handler(w)),
                    creation_error);
    CHECK(w.net().fds_in_use() == 0);
}

TEST_CASE("max_connections left unset means 90% of the simulated descriptor limit") {
    world_config config;
    config.kernel.fd_limit = 100;
    world w(3, config);
    core::options opts;
    opts.on_handler_error = core::error_policy::ignore;
    const server s = server::create_sock(w, "/tmp/sim.sock", opts, line_protocol_sock_handler(w));
    CHECK(s.options().max_connections == 90);
    CHECK(s.listening_on() == "/tmp/sim.sock");
}

}  // namespace berth::sim
