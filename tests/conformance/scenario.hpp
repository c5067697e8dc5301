// The fixture every conformance scenario uses (TEST_CASE_FIXTURE(scenario, ...)):
// a fresh harness per scenario, and the rule that a scenario leaves no descriptor
// behind, checked here for every scenario on every backend: the count taken before
// the scenario equals the count once the harness has shut everything down.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>

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
/// own (a fresh fixture, so a fresh harness and descriptor check, for each).
inline handler_form either_form() {
    handler_form form = handler_form::sock;
    SUBCASE("create_sock") {
        form = handler_form::sock;
    }
    SUBCASE("create") {
        form = handler_form::stream;
    }
    return form;
}

}  // namespace berth::conformance
