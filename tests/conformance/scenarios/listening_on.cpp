// SEMANTICS.md section 3: listening_on() for each address form, computed once at
// creation and still valid after close; a client reaches the server at it.
#include <string>
#include <unistd.h>

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

bool ends_with(const std::string& text, const std::string& end) {
    return text.size() >= end.size() &&
           text.compare(text.size() - end.size(), end.size(), end) == 0;
}

// Serves one client, closes, and checks listening_on() did not change.
void serve_and_close(harness& h, const std::string& listening_on) {
    const client_id c = h.connect();
    h.send(c, "here\n");
    CHECK(h.receive_line(c, patience_ns) == "here");
    h.close(true);
    CHECK(h.wait_until([&] { return h.handlers_finished(); }, patience_ns));
    CHECK(h.listening_on() == listening_on);
}

void check_port_chosen_by_os(harness& h, const std::string& host) {
    const std::string port = h.listening_on();
    REQUIRE_FALSE(port.empty());
    CHECK(port.find_first_not_of("0123456789") == std::string::npos);
    CHECK(port != "0");
    CHECK(h.bound_address() == host + ":" + port);
    serve_and_close(h, port);
}

}  // namespace

TEST_CASE_FIXTURE(scenario, "IPv4 with port 0: listening_on is the port the OS chose") {
    start(at("127.0.0.1:0"));
    check_port_chosen_by_os(*h, "127.0.0.1");
}

TEST_CASE_FIXTURE(scenario, "IPv6 with port 0: listening_on is the port the OS chose") {
    start(at("[::1]:0"));
    check_port_chosen_by_os(*h, "[::1]");
}

TEST_CASE_FIXTURE(scenario, "a Unix socket file: listening_on is the path as given") {
    const std::string path = h->scratch_directory() + "/server.sock";
    start(at("unix:" + path));
    CHECK(h->listening_on() == path);
    CHECK(h->bound_address() == path);
    serve_and_close(*h, path);
}

TEST_CASE_FIXTURE(scenario, "a Linux abstract name: listening_on is @NAME") {
    const std::string name = "@berth-conformance-" + std::to_string(::getpid());
    start(at("unix:" + name));
    CHECK(h->listening_on() == name);
    CHECK(ends_with(h->bound_address(), name));
    serve_and_close(*h, name);
}

}  // namespace berth::conformance
