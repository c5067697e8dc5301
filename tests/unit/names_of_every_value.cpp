// Every value of the core's enumerations has its own name (traces, descriptions
// and log lines print them), and a value outside the enumeration, as a corrupted
// byte or a newer peer's trace could hold, still gets a printable name rather than
// a null pointer.
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "berth/core/accept_error.hpp"
#include "berth/core/action.hpp"
#include "berth/core/event_error.hpp"
#include "berth/core/options.hpp"
#include "berth/core/server.hpp"
#include "berth/core/writer_tracker.hpp"

using namespace berth;

namespace {

// Checks that the values' names are distinct and none is the fallback, and that a
// value past the last one is named `fallback`. `count` is the number of values,
// which are 0 .. count - 1 (all these enumerations are dense from 0).
template <typename E>
void expect_names(std::uint8_t count, const std::string& fallback) {
    std::set<std::string> names;
    for (std::uint8_t v = 0; v < count; ++v) {
        CAPTURE(static_cast<int>(v));
        const char* name = core::to_string(static_cast<E>(v));
        REQUIRE(name != nullptr);
        CHECK(std::string(name) != fallback);
        CHECK_FALSE(std::string(name).empty());
        names.insert(name);
    }
    CHECK(names.size() == count);
    for (const std::uint8_t outside : {count, std::uint8_t{255}}) {
        CAPTURE(static_cast<int>(outside));
        const char* name = core::to_string(static_cast<E>(outside));
        REQUIRE(name != nullptr);
        CHECK(std::string(name) == fallback);
    }
}

}  // namespace

TEST_CASE("Every value of every enumeration of the core has its own name, and others are unknown") {
    expect_names<core::event_error>(16, "unknown event error");
    expect_names<core::notice_kind>(6, "unknown");
    expect_names<core::policy_action>(4, "unknown");
    expect_names<core::result_source>(2, "unknown");
    expect_names<core::connection_form>(2, "unknown");
    expect_names<core::accept_phase>(4, "unknown");
    expect_names<core::listener_state>(4, "unknown");
    expect_names<core::reserve_state>(6, "unknown");
    expect_names<core::error_policy>(4, "unknown");
    expect_names<core::exhaustion_mode>(2, "unknown");
    expect_names<core::accept_error_class>(4, "unknown");
    expect_names<core::writer_status>(8, "unknown");
}

TEST_CASE("The names are those the descriptions and traces use") {
    CHECK(std::string(core::to_string(core::accept_phase::waiting_readable)) == "waiting_readable");
    CHECK(std::string(core::to_string(core::listener_state::close_pending)) == "close_pending");
    CHECK(std::string(core::to_string(core::reserve_state::released)) == "released");
    CHECK(std::string(core::to_string(core::accept_error_class::out_of_resources)) ==
          "out_of_resources");
    CHECK(std::string(core::to_string(core::writer_status::ready_to_close)) == "ready_to_close");
    CHECK(std::string(core::to_string(core::notice_kind::drain_deadline_reached)) ==
          "drain_deadline_reached");
    CHECK(std::string(core::to_string(core::error_policy::unset)) == "unset");
    CHECK(std::string(core::to_string(core::exhaustion_mode::shed)) == "shed");
}
