// A small bridge from rapidcheck to doctest: runs a property inside the current
// test case and fails it with rapidcheck's report.
//
// Runs: 1,000 unless RC_PARAMS names max_success. On failure rapidcheck prints,
// when the program exits, the RC_PARAMS="reproduce=..." string that replays the
// failing case; the property's id below is what that string refers to.
#pragma once

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <utility>

#include <doctest/doctest.h>
#include <rapidcheck.h>

namespace berth::test {

inline constexpr int property_runs_default = 1000;

template <typename Testable>
bool check_property(const std::string& id, Testable&& testable) {
    rc::detail::TestParams params = rc::detail::configuration().testParams;
    const char* rc_params = std::getenv("RC_PARAMS");
    if (rc_params == nullptr || std::strstr(rc_params, "max_success") == nullptr) {
        params.maxSuccess = property_runs_default;
    }
    rc::detail::TestMetadata metadata;
    metadata.id = id;
    metadata.description = id;
    const rc::detail::TestResult result =
        rc::detail::checkTestable(std::forward<Testable>(testable), metadata, params);
    std::ostringstream report;
    rc::detail::printResultMessage(result, report);
    const bool passed = result.template is<rc::detail::SuccessResult>();
    if (passed) {
        MESSAGE(report.str());
    } else {
        FAIL_CHECK(report.str());
    }
    return passed;
}

}  // namespace berth::test
