// The fixture every conformance scenario uses (TEST_CASE_FIXTURE(scenario, ...)):
// a fresh harness per scenario, and the rule that a scenario leaves no descriptor
// behind, checked here for every scenario on every backend: the count taken before
// the scenario equals the count once the harness has shut everything down.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <doctest/doctest.h>

#include "harness.hpp"

namespace berth::conformance {

class scenario {
public:
    scenario() : h(make_harness()), descriptors_before_(h->open_descriptors()) {}
    scenario(const scenario&) = delete;
    scenario& operator=(const scenario&) = delete;

    ~scenario() {
        try {
            h->shut_down();
        } catch (const std::exception& e) {
            FAIL_CHECK("shutting the harness down failed: " << e.what());
        }
        CHECK(h->open_descriptors() == descriptors_before_);
    }

protected:
    /// Starts a server that must start.
    void start(const server_config& config) {
        const start_result r = h->start_server(config);
        REQUIRE_MESSAGE(r.ok(), r.error.value_or(""));
    }

    std::unique_ptr<harness> h;

private:
    std::size_t descriptors_before_;
};

/// Runs the calling scenario once per handler form, each run in a subcase of its
/// own: doctest runs the test case again from the start for each subcase, so each
/// form gets a fresh fixture (a fresh harness and its own descriptor check).
inline handler_form either_form() {
    handler_form form = handler_form::sock;
    SUBCASE("create_sock") {
        form = handler_form::sock;
    }
    SUBCASE("create") {
        form = handler_form::reader_writer;
    }
    return form;
}

/// A server in `form`, on 127.0.0.1 at a port the OS chooses, serving at most
/// `max_connections` at once, with the error policy `policy`.
inline server_config server_of(handler_form form, std::uint32_t max_connections,
                               core::error_policy policy = core::error_policy::ignore) {
    server_config cfg;
    cfg.form = form;
    cfg.opts.max_connections = max_connections;
    cfg.opts.on_handler_error = policy;
    return cfg;
}

/// server_of(form, 4) listening at `listen` (the listen text of server_config).
inline server_config server_at(std::string listen, handler_form form) {
    server_config cfg = server_of(form, 4);
    cfg.listen = std::move(listen);
    return cfg;
}

/// bound_address(), or "(listening_on_address threw)" when there is none.
inline std::string bound(const harness& h) {
    return h.bound_address().value_or("(listening_on_address threw)");
}

/// A client the server has answered once (`line` echoed), so that its handler is
/// known to run, blocked reading, when the scenario goes on.
inline client_id answered_client(harness& h, const std::string& line) {
    const client_id c = h.connect();
    h.send(c, line + "\n");
    CHECK(h.receive_line(c, patience_ns) == line);
    return c;
}

inline bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

inline bool ends_with(std::string_view text, std::string_view end) {
    return text.size() >= end.size() && text.substr(text.size() - end.size()) == end;
}

}  // namespace berth::conformance
