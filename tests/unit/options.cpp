// SEMANTICS.md section 2: validate() refuses every bad option before any socket
// exists, and its error names the option and the value it refused.
#include "berth/core/options.hpp"

#include <doctest/doctest.h>

using namespace berth;

namespace {

core::options good() {
    core::options o;
    o.max_connections = 10;
    o.on_handler_error = core::error_policy::ignore;
    return o;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// Checks that `o` is refused, that the error names `option`, and that its message
// names the option and quotes `value`.
void expect_refused(const core::options& o, const std::string& option, const std::string& value) {
    CAPTURE(option);
    CAPTURE(value);
    const auto error = core::validate(o);
    REQUIRE(error.has_value());
    CHECK(error->option == option);
    CAPTURE(error->message);
    CHECK(contains(error->message, option));
    CHECK(contains(error->message, value));
}

}  // namespace

TEST_CASE("Options with every value in range are accepted") {
    CHECK_FALSE(core::validate(good()).has_value());
    core::options o = good();
    o.max_connections = 1;
    o.max_accepts_per_batch = 1;
    o.backlog = 0;  // legal: the kernel decides what 0 means
    o.buffer_age_limit_ns = core::unlimited_age_ns;
    o.final_flush_timeout_ns = 0;
    CHECK_FALSE(core::validate(o).has_value());
    o.max_connections = core::max_connections_limit;
    o.max_accepts_per_batch = core::max_accepts_per_batch_limit;
    o.backlog = core::backlog_limit;
    o.buffer_age_limit_ns = core::buffer_age_limit_max_ns;
    o.final_flush_timeout_ns = core::final_flush_timeout_max_ns;
    CHECK_FALSE(core::validate(o).has_value());
}

TEST_CASE("The defaults are those of SEMANTICS.md section 2") {
    const core::options o;
    CHECK(o.max_accepts_per_batch == 1);
    CHECK(o.backlog == 64);
    CHECK_FALSE(o.drop_incoming_connections);
    CHECK(o.on_handler_error == core::error_policy::unset);  // required: no default
    CHECK(o.buffer_age_limit_ns == 120 * core::ns_per_s);
    CHECK(o.final_flush_timeout_ns == 30 * core::ns_per_s);
}

TEST_CASE("max_connections left unset is for the backend to fill in, not the core") {
    core::options o = good();
    o.max_connections = core::max_connections_unset;
    CHECK(core::options{}.max_connections == core::max_connections_unset);
    expect_refused(o, "max_connections", "is unset");
}

TEST_CASE("max_connections must be at least 1 and within its limit") {
    core::options o = good();
    o.max_connections = 0;
    expect_refused(o, "max_connections", "0");
    o.max_connections = core::max_connections_limit + 1;
    expect_refused(o, "max_connections", std::to_string(core::max_connections_limit + 1));
}

TEST_CASE("max_accepts_per_batch must be at least 1 and within its limit") {
    core::options o = good();
    o.max_accepts_per_batch = 0;
    expect_refused(o, "max_accepts_per_batch", "0");
    o.max_accepts_per_batch = core::max_accepts_per_batch_limit + 1;
    expect_refused(o, "max_accepts_per_batch",
                   std::to_string(core::max_accepts_per_batch_limit + 1));
}

TEST_CASE("backlog must be at least 0 and within its limit") {
    core::options o = good();
    o.backlog = -1;
    expect_refused(o, "backlog", "-1");
    o.backlog = core::backlog_limit + 1;
    expect_refused(o, "backlog", std::to_string(core::backlog_limit + 1));
}

TEST_CASE("on_handler_error is required") {
    core::options o = good();
    o.on_handler_error = core::error_policy::unset;
    const auto error = core::validate(o);
    REQUIRE(error.has_value());
    CHECK(error->option == "on_handler_error");
    CHECK(contains(error->message, "on_handler_error"));
    CHECK(contains(error->message, "required"));
    for (const auto p :
         {core::error_policy::raise, core::error_policy::ignore, core::error_policy::call}) {
        o.on_handler_error = p;
        CHECK_FALSE(core::validate(o).has_value());
    }
}

TEST_CASE("buffer_age_limit must be positive and at most 24 hours, or unlimited") {
    core::options o = good();
    o.buffer_age_limit_ns = 0;
    expect_refused(o, "buffer_age_limit", "0");
    o.buffer_age_limit_ns = -5;
    expect_refused(o, "buffer_age_limit", "-5");
    o.buffer_age_limit_ns = core::buffer_age_limit_max_ns + 1;
    expect_refused(o, "buffer_age_limit", std::to_string(core::buffer_age_limit_max_ns + 1));
}

TEST_CASE("buffer_limit_bytes must be at least 1, or unlimited") {
    core::options o = good();
    o.buffer_limit_bytes = 0;
    expect_refused(o, "buffer_limit_bytes", "0");
    o.buffer_limit_bytes = 1;
    CHECK_FALSE(core::validate(o).has_value());
    o.buffer_limit_bytes = core::unlimited_bytes;
    CHECK_FALSE(core::validate(o).has_value());
}

TEST_CASE("final_flush_timeout must be between 0 and 1 hour") {
    core::options o = good();
    o.final_flush_timeout_ns = -1;
    expect_refused(o, "final_flush_timeout", "-1");
    o.final_flush_timeout_ns = core::final_flush_timeout_max_ns + 1;
    expect_refused(o, "final_flush_timeout", std::to_string(core::final_flush_timeout_max_ns + 1));
}

TEST_CASE("The first broken rule is reported even when several are broken") {
    core::options o;  // max_connections 0 and no policy
    const auto error = core::validate(o);
    REQUIRE(error.has_value());
    CHECK(error->option == "max_connections");
}

TEST_CASE("Policies and exhaustion modes have names") {
    CHECK(std::string(core::to_string(core::error_policy::raise)) == "raise");
    CHECK(std::string(core::to_string(core::error_policy::ignore)) == "ignore");
    CHECK(std::string(core::to_string(core::error_policy::call)) == "call");
    CHECK(std::string(core::to_string(core::exhaustion_mode::back_off)) == "back_off");
    CHECK(std::string(core::to_string(core::exhaustion_mode::shed)) == "shed");
}
