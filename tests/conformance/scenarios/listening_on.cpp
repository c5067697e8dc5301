// SEMANTICS.md section 3: listening_on() for each address form, computed once at
// creation and still valid after close; listening_on_address() asks the socket and
// is an error once it is closed; a client reaches the server at that address.
#include <string>
#include <unistd.h>

#include <doctest/doctest.h>

#include "harness.hpp"
#include "scenario.hpp"

namespace berth::conformance {

namespace {

bool is_port_number(const std::string& text) {
    return !text.empty() && text.size() <= 5 &&
           text.find_first_not_of("0123456789") == std::string::npos && text != "0" &&
           std::stoul(text) <= 65535;
}

// Serves one client, closes, and checks that listening_on() did not change and
// that listening_on_address() now refuses.
void serve_and_close(harness& h, const std::string& listening_on) {
    static_cast<void>(answered_client(h, "here"));
    h.close(true);
    CHECK(h.wait_until([&] { return h.handlers_finished(); }, patience_ns));
    CHECK(h.listening_on() == listening_on);
    CHECK_FALSE(h.bound_address().has_value());
}

void check_port_chosen_by_os(harness& h, const std::string& host) {
    const std::string port = h.listening_on();
    CHECK(is_port_number(port));
    CHECK(bound(h) == host + ":" + port);
    serve_and_close(h, port);
}

}  // namespace

TEST_CASE_FIXTURE(scenario,
                  "listening_on is the bare TCP port on every backend, and listening_on_address "
                  "throws std::logic_error once the listening socket is closed") {
    start(server_at("127.0.0.1:0", either_form()));
    const std::string port = h->listening_on();
    CHECK_MESSAGE(is_port_number(port), "listening_on() gave \"" << port << "\"");
    CHECK(bound(*h) == "127.0.0.1:" + port);
    h->close(false);  // without close_existing_connections: only the listener goes
    CHECK(h->wait_until([&] { return h->close_finished(); }, patience_ns));
    CHECK(h->listening_on() == port);
    CHECK_FALSE(h->bound_address().has_value());
}

TEST_CASE_FIXTURE(scenario, "IPv4 with port 0: listening_on is the port the OS chose") {
    start(server_at("127.0.0.1:0", either_form()));
    check_port_chosen_by_os(*h, "127.0.0.1");
}

TEST_CASE_FIXTURE(scenario, "IPv6 with port 0: listening_on is the port the OS chose") {
    start(server_at("[::1]:0", either_form()));
    check_port_chosen_by_os(*h, "[::1]");
}

TEST_CASE_FIXTURE(scenario, "a Unix socket file: listening_on is the path as given") {
    const handler_form form = either_form();
    const std::string path = h->scratch_directory() + "/server.sock";
    start(server_at("unix:" + path, form));
    CHECK(h->listening_on() == path);
    CHECK(bound(*h) == path);
    serve_and_close(*h, path);
}

TEST_CASE_FIXTURE(scenario, "a Linux abstract name: listening_on is @NAME") {
    const handler_form form = either_form();
    const std::string name = "@berth-conformance-" + std::to_string(::getpid());
    start(server_at("unix:" + name, form));
    CHECK(h->listening_on() == name);
    const std::optional<std::string> bound = h->bound_address();
    REQUIRE(bound.has_value());
    CHECK(ends_with(*bound, name));
    serve_and_close(*h, name);
}

}  // namespace berth::conformance
