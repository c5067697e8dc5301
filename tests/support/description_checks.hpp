// The checks of a real backend's description (SEMANTICS.md section 9), written
// once for every backend: a server created with described_options(), holding two
// connections with drop mode on, and the same server after one handler error and
// close(true).
#pragma once

#include <sstream>
#include <string>

#include <doctest/doctest.h>

#include "berth/core/options.hpp"
#include "json_syntax.hpp"

namespace berth::test {

/// The options the description checks expect to find.
inline core::options described_options() {
    core::options o;
    o.max_connections = 3;
    o.max_accepts_per_batch = 5;
    o.backlog = 7;
    o.on_handler_error = core::error_policy::call;
    return o;
}

template <typename Server>
std::string text_of(const Server& s) {
    std::ostringstream os;
    os << s;
    return os.str();
}

template <typename Server>
std::string json_of(const Server& s) {
    std::ostringstream os;
    s.write_json(os);
    return os.str();
}

inline bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

struct live_description {
    std::string backend;  // "asio", "uv"
    std::string port;
    std::string first_peer;
    std::string second_peer;
};

/// Two live connections, drop mode on, nothing failed yet.
template <typename Server>
void check_live_description(const Server& s, const live_description& d) {
    const std::string text = text_of(s);
    CAPTURE(text);
    for (const std::string& part :
         {"listening_on: " + d.port + " (" + d.backend + ")", std::string("max_connections: 3"),
          std::string("max_accepts_per_batch: 5"), std::string("backlog: 7"),
          std::string("on_handler_error: call"), std::string("drop_incoming_connections: true"),
          std::string("closed: false"), std::string("listener: open"),
          std::string("accept_step: waiting_readable"), std::string("num_connections: 2"),
          std::string("accepted: 2"), std::string("handlers_started: 2"), " " + d.first_peer,
          " " + d.second_peer}) {
        CHECK_MESSAGE(contains(text, part), part);
    }

    const std::string json = json_of(s);
    CAPTURE(json);
    CHECK(test_json::syntax::well_formed(json));
    for (const std::string& part :
         {"\"listening_on\":\"" + d.port + "\"", "\"backend\":\"" + d.backend + "\"",
          std::string("\"max_connections\":3"), std::string("\"max_accepts_per_batch\":5"),
          std::string("\"backlog\":7"), std::string("\"on_handler_error\":\"call\""),
          std::string("\"drop_incoming_connections\":true"), std::string("\"closed\":false"),
          std::string("\"accept_step\":\"waiting_readable\""), std::string("\"num_connections\":2"),
          std::string("\"statistics\":{\"accepted\":2,"), std::string("\"handler_errors\":0"),
          "\"peer\":\"" + d.first_peer + "\"", "\"peer\":\"" + d.second_peer + "\""}) {
        CHECK_MESSAGE(contains(json, part), part);
    }
    CHECK(contains(json, "\"peers\":[{\"index\":"));
    CHECK(s.invariant());
}

/// After one handler error and close(true), once handlers have finished.
template <typename Server>
void check_closed_description(const Server& s) {
    const std::string text = text_of(s);
    CAPTURE(text);
    CHECK(contains(text, "closed: true"));
    CHECK(contains(text, "listener: closed"));
    CHECK(contains(text, "accept_step: idle"));
    CHECK(contains(text, "connections: none"));
    CHECK(contains(text, "peers: none"));
    const std::string json = json_of(s);
    CAPTURE(json);
    CHECK(test_json::syntax::well_formed(json));
    CHECK(contains(json, "\"closed\":true"));
    CHECK(contains(json, "\"connections\":[]"));
    CHECK(contains(json, "\"peers\":[]"));
    CHECK(contains(json, "\"handler_errors\":1"));
    CHECK(contains(json, "\"handler_ok\":1"));
    CHECK(s.invariant());
}

}  // namespace berth::test
