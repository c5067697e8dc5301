// The core against the reference model (server_model.hpp) on random sequences of
// events, contract-breaking ones included. After every event both must agree on
// whether it was refused, on the actions the driver sees, and on the state that
// matters; the core's invariant must hold after every step.
//
// Reproduce a failure with the RC_PARAMS="reproduce=..." string printed at exit:
//   RC_PARAMS="reproduce=..." ./berth_property_tests
#include <doctest/doctest.h>
#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include "agreement.hpp"
#include "core_under_test.hpp"
#include "model_commands.hpp"
#include "rapidcheck_doctest.hpp"
#include "server_model.hpp"

namespace berth::test {

namespace {

core::options any_small_options() {
    core::options opts;
    opts.max_connections = *rc::gen::inRange<std::uint32_t>(1, 7);
    opts.max_accepts_per_batch = *rc::gen::inRange<std::uint32_t>(1, 5);
    opts.on_handler_error = *rc::gen::element(core::error_policy::raise, core::error_policy::ignore,
                                              core::error_policy::call);
    opts.on_accept_exhaustion =
        *rc::gen::element(core::exhaustion_mode::back_off, core::exhaustion_mode::shed);
    opts.drop_incoming_connections = *rc::gen::weightedElement<bool>({{4U, false}, {1U, true}});
    return opts;
}

}  // namespace

TEST_CASE("the core agrees with the reference model on every event sequence") {
    const bool passed = check_property("core_agrees_with_model", [] {
        const core::options opts = any_small_options();
        RC_LOG() << "options: max_connections " << opts.max_connections
                 << ", max_accepts_per_batch " << opts.max_accepts_per_batch
                 << ", on_handler_error " << core::to_string(opts.on_handler_error)
                 << ", on_accept_exhaustion " << core::to_string(opts.on_accept_exhaustion)
                 << ", drop_incoming_connections " << opts.drop_incoming_connections << '\n';
        model::server_model m(opts);
        core_under_test sut(opts);
        const model::prediction expected = m.start();
        const observation seen = sut.start();
        const std::string first = compare_drain(expected, seen, m.next_deadline_ns());
        if (!first.empty()) RC_FAIL(first);
        rc::state::check(m, sut, &next_command);
    });
    CHECK(passed);
}

}  // namespace berth::test
