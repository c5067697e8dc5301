// SEMANTICS.md sections 2 and 3: creation errors name the operation, the address,
// the error's name and text, and a hint; nothing is left open after a failed
// creation (the fixture's descriptor check), and options are refused before any
// socket exists.
#include <cerrno>
#include <string>

#include <doctest/doctest.h>

#include "harness.hpp"
#include "scenario.hpp"

namespace berth::conformance {

namespace {

server_config at(std::string listen) {
    server_config cfg;
    cfg.opts.max_connections = 4;
    cfg.opts.on_handler_error = core::error_policy::ignore;
    cfg.listen = std::move(listen);
    return cfg;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE_FIXTURE(scenario, "a fixed port already in use fails at once with EADDRINUSE") {
    const std::string address = h->occupied_address();
    const start_result r = h->start_server(at(address));
    REQUIRE_FALSE(r.ok());
    const std::string& message = *r.error;
    CHECK(contains(message, address));
    CHECK(contains(message, "Address already in use"));
    if (h->facts().posix_listen_errors) {
        CHECK(contains(message, "bind " + address + " failed: EADDRINUSE"));
        CHECK_FALSE(contains(message, "attempts"));  // a fixed port is not retried
        CHECK(contains(message, "another socket is already bound"));
    } else {
        // The sim's kernel: "listen on ADDRESS: TEXT (errno N)", no name or hint.
        CHECK(contains(message, "listen on " + address));
        CHECK(contains(message, "(errno " + std::to_string(EADDRINUSE) + ")"));
    }
}

TEST_CASE_FIXTURE(scenario, "a Unix path longer than sun_path is refused before any socket") {
    const std::string path = h->scratch_directory() + "/" + std::string(200, 's');
    const start_result r = h->start_server(at("unix:" + path));
    if (h->facts().unix_sockets_are_files) {
        REQUIRE_FALSE(r.ok());
        CHECK(contains(*r.error, "bind unix:" + path + " failed: ENAMETOOLONG"));
        CHECK(contains(*r.error, "at most 107 bytes"));
    } else {
        // The sim's addresses are text without sun_path's limit: the name is kept
        // whole, never truncated.
        REQUIRE(r.ok());
        CHECK(h->listening_on() == path);
    }
}

TEST_CASE_FIXTURE(scenario, "a Unix path in a missing directory fails with ENOENT and a hint") {
    const std::string directory = h->scratch_directory() + "/missing";
    const std::string path = directory + "/server.sock";
    const start_result r = h->start_server(at("unix:" + path));
    if (h->facts().unix_sockets_are_files) {
        REQUIRE_FALSE(r.ok());
        CHECK(contains(*r.error, "bind unix:" + path + " failed: ENOENT"));
        CHECK(contains(*r.error, "No such file or directory"));
        CHECK(contains(*r.error, "the directory \"" + directory + "\" does not exist"));
    } else {
        // The sim has no file system: any path is a free simulated address.
        REQUIRE(r.ok());
        CHECK(h->listening_on() == path);
    }
}

TEST_CASE_FIXTURE(scenario, "a bad option is refused before any socket is created") {
    // The address is taken: had a socket been created, bind would have failed
    // first. The option's error proves the check came before.
    server_config cfg = at(h->occupied_address());
    cfg.opts.max_accepts_per_batch = 0;
    start_result r = h->start_server(cfg);
    REQUIRE_FALSE(r.ok());
    CHECK(contains(*r.error, "max_accepts_per_batch must be at least 1 (got 0)"));

    cfg.opts.max_accepts_per_batch = 1;
    cfg.opts.max_connections = core::max_connections_limit + 1;
    r = h->start_server(cfg);
    REQUIRE_FALSE(r.ok());
    CHECK(contains(*r.error, "max_connections must be at most"));
}

TEST_CASE_FIXTURE(scenario, "max_connections 0 is refused before any socket is created") {
    server_config cfg = at(h->occupied_address());
    cfg.opts.max_connections = 0;
    const start_result r = h->start_server(cfg);
    REQUIRE_FALSE(r.ok());
    CHECK(contains(*r.error, "max_connections must be at least 1 (got 0)"));
}

TEST_CASE_FIXTURE(scenario, "max_connections left unset means the default limit") {
    // Every backend documents the default as 90% of the (simulated) descriptor limit.
    server_config cfg = at("127.0.0.1:0");
    cfg.opts.max_connections = core::max_connections_unset;
    start(cfg);
    const client_id c = h->connect();
    h->send(c, "default\n");
    CHECK(h->receive_line(c, patience_ns) == "default");
    CHECK(h->invariant());
}

}  // namespace berth::conformance
