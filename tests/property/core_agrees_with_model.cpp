// The core against the reference model (server_model.hpp) on random sequences of
// events, contract-breaking ones included. After every event both must agree on
// whether it was refused, on the actions the driver sees, and on the state that
// matters; the core's invariant must hold after every step.
//
// Reproduce a failure with the RC_PARAMS="reproduce=..." string printed at exit:
//   RC_PARAMS="reproduce=..." ./berth_property_tests
#include <vector>

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
    // The writer's limits, small enough to reach in a sequence.
    opts.buffer_age_limit_ns = *rc::gen::elementOf(std::vector<core::time_ns>{
        core::unlimited_age_ns, 10 * core::ns_per_ms, core::ns_per_s, 120 * core::ns_per_s});
    opts.buffer_limit_bytes =
        *rc::gen::elementOf(std::vector<std::uint64_t>{100, 1000, core::unlimited_bytes});
    opts.final_flush_timeout_ns = *rc::gen::elementOf(
        std::vector<core::time_ns>{0, 5 * core::ns_per_ms, core::ns_per_s, 30 * core::ns_per_s});
    return opts;
}

}  // namespace

TEST_CASE("the core agrees with the reference model on every event sequence") {
    const bool passed = check_property("core_agrees_with_model", [] {
        const core::options opts = any_small_options();
        const core::connection_form form =
            *rc::gen::element(core::connection_form::socket, core::connection_form::reader_writer);
        RC_LOG() << "form " << core::to_string(form) << ", options: max_connections "
                 << opts.max_connections << ", max_accepts_per_batch " << opts.max_accepts_per_batch
                 << ", on_handler_error " << core::to_string(opts.on_handler_error)
                 << ", on_accept_exhaustion " << core::to_string(opts.on_accept_exhaustion)
                 << ", drop_incoming_connections " << opts.drop_incoming_connections
                 << ", buffer_age_limit_ns " << opts.buffer_age_limit_ns << ", buffer_limit_bytes "
                 << opts.buffer_limit_bytes << ", final_flush_timeout_ns "
                 << opts.final_flush_timeout_ns << '\n';
        model::server_model m(opts, form);
        core_under_test sut(opts, form);
        const model::prediction expected = m.start();
        const observation seen = sut.start();
        const std::string first = compare_drain(expected, seen, m.next_deadline_ns());
        if (!first.empty()) RC_FAIL(first);
        rc::state::check(m, sut, &next_command);
    });
    CHECK(passed);
}

}  // namespace berth::test
