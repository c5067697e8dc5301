// SEMANTICS.md sections 2 and 3: creation errors name the operation, the address,
// the error's name and text, and a hint (where the backend has one); nothing is
// left open after a failed creation (the fixture's descriptor check), and options
// are refused before any socket exists. Both creation functions (create and
// create_sock) are checked.
#include <algorithm>
#include <cstdint>
#include <string>

#include <doctest/doctest.h>

#include "harness.hpp"
#include "scenario.hpp"

namespace berth::conformance {

TEST_CASE_FIXTURE(scenario,
                  "a fixed port already in use fails at once with \"<op> <address> failed: "
                  "EADDRINUSE (<text>)\" on every backend") {
    const handler_form form = either_form();
    const std::string address = h->occupied_address();
    const start_result r = h->start_server(server_at(address, form));
    REQUIRE_FALSE(r.ok());
    const std::string& message = *r.error;
    // The operation is the system call that failed: bind for real sockets, the
    // sim kernel's listen (which binds and listens at once).
    const std::string failure = address + " failed: EADDRINUSE (Address already in use)";
    CHECK_MESSAGE(
        (message.rfind("bind " + failure, 0) == 0 || message.rfind("listen " + failure, 0) == 0),
        message);
    CHECK_FALSE(contains(message, "attempts"));  // a fixed port is not retried
    if (h->facts().listen_error_hints) {
        CHECK(contains(message, failure + "; another socket is already bound"));
    } else {
        CHECK(ends_with(message, failure));
    }
}

TEST_CASE_FIXTURE(
    scenario, "a Unix path longer than sun_path is refused before any socket, never truncated") {
    const handler_form form = either_form();
    const std::string path = h->scratch_directory() + "/" + std::string(200, 's');
    const start_result r = h->start_server(server_at("unix:" + path, form));
    REQUIRE_FALSE(r.ok());
    CHECK(contains(*r.error, "bind unix:" + path + " failed: ENAMETOOLONG"));
    if (h->facts().listen_error_hints) CHECK(contains(*r.error, "at most 107 bytes"));
}

TEST_CASE_FIXTURE(
    scenario,
    "a Unix path in a missing directory: refused with ENOENT and a hint where Unix sockets "
    "are files; served by the sim, whose Unix addresses are text without a file system") {
    const handler_form form = either_form();
    const std::string directory = h->scratch_directory() + "/missing";
    const std::string path = directory + "/server.sock";
    const start_result r = h->start_server(server_at("unix:" + path, form));
    if (h->facts().unix_sockets_are_files) {
        REQUIRE_FALSE(r.ok());
        CHECK(contains(*r.error, "bind unix:" + path + " failed: ENOENT"));
        CHECK(contains(*r.error, "No such file or directory"));
        CHECK(contains(*r.error, "the directory \"" + directory + "\" does not exist"));
    } else {
        // The sim has no file system: any path is a free simulated address.
        REQUIRE(r.ok());
        CHECK(h->listening_on() == path);
        static_cast<void>(answered_client(*h, "here"));
    }
}

TEST_CASE_FIXTURE(scenario, "a bad option is refused before any socket is created") {
    // The address is taken: had a socket been created, bind would have failed
    // first. The option's error proves the check came before.
    server_config cfg = server_at(h->occupied_address(), either_form());
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
    server_config cfg = server_at(h->occupied_address(), either_form());
    cfg.opts.max_connections = 0;
    const start_result r = h->start_server(cfg);
    REQUIRE_FALSE(r.ok());
    CHECK(contains(*r.error, "max_connections must be at least 1 (got 0)"));
}

TEST_CASE_FIXTURE(scenario,
                  "max_connections left unset is 90% of the descriptor limit, in the options "
                  "and the description, and the server serves") {
    server_config cfg = server_at("127.0.0.1:0", either_form());
    cfg.opts.max_connections = core::max_connections_unset;
    start(cfg);
    // SEMANTICS.md section 2: 90% of the soft limit, at least 1, at most the cap.
    const std::uint64_t limit = h->descriptor_limit();
    const std::uint64_t expected = std::clamp<std::uint64_t>(limit / 10 * 9 + limit % 10 * 9 / 10,
                                                             1, core::max_connections_limit);
    CAPTURE(limit);
    CHECK(h->server_options().max_connections == expected);
    const std::string json = h->description_json();
    CAPTURE(json);
    CHECK(contains(json, "\"max_connections\":" + std::to_string(expected) + ","));
    const client_id c = h->connect();
    h->send(c, "default\n");
    CHECK(h->receive_line(c, patience_ns) == "default");
    CHECK(h->invariant());
}

}  // namespace berth::conformance
