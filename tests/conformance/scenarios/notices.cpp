// SEMANTICS.md sections 4.4, 6 and 8: the notices that reach the user's hook
// (server_hooks::on_notice) on every backend, with what each carries: at_limit and
// accept_resources_exhausted at most once a minute, the latter with the errno
// value; drain_deadline_reached once per drain. late_handler_result and late_write
// are in writer.cpp, where the writer's failure that makes them is set up.
#include <cerrno>
#include <cstddef>
#include <vector>

#include <doctest/doctest.h>

#include "harness.hpp"
#include "scenario.hpp"

namespace berth::conformance {

namespace {

std::vector<core::actions::notice> of_kind(const harness& h, core::notice_kind kind) {
    std::vector<core::actions::notice> found;
    for (const core::actions::notice& n : h.notice_records())
        if (n.kind == kind) found.push_back(n);
    return found;
}

server_config recording(std::uint32_t max_connections, handler_form form) {
    server_config cfg = server_of(form, max_connections);
    cfg.record_notices = true;
    return cfg;
}

}  // namespace

TEST_CASE_FIXTURE(scenario,
                  "reaching max_connections delivers one at_limit notice to the hook, and "
                  "reaching it again within the minute none") {
    start(recording(1, either_form()));
    CHECK(h->notice_records().empty());
    const client_id first = answered_client(*h, "first");
    CHECK(h->wait_until([&] { return of_kind(*h, core::notice_kind::at_limit).size() == 1; },
                        patience_ns));
    const std::vector<core::actions::notice> at_limit = of_kind(*h, core::notice_kind::at_limit);
    REQUIRE(at_limit.size() == 1);
    CHECK(at_limit[0].error_value == 0);
    CHECK(h->notice_records().size() == 1);  // nothing else was noticed

    h->send(first, "quit\n");
    CHECK(h->receive_line(first, patience_ns) == "bye");
    static_cast<void>(answered_client(*h, "second"));  // at the limit again
    h->advance(brief_ns);                              // a notice would be posted by now
    CHECK(h->stats().times_at_limit == 2);
    CHECK(of_kind(*h, core::notice_kind::at_limit).size() == 1);
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario,
                  "running out of descriptors delivers one accept_resources_exhausted notice "
                  "with the errno to the hook, however many accepts fail within the minute") {
    server_config cfg = recording(4, either_form());
    cfg.opts.on_accept_exhaustion = core::exhaustion_mode::back_off;
    start(cfg);
    h->inject_accept_errors({ENFILE, ENFILE, ENFILE});
    const client_id c = h->connect();
    h->send(c, "late\n");
    CHECK(h->receive_line(c, patience_ns) == "late");  // after three back-offs
    CHECK(h->stats().back_off_pauses == 3);
    h->advance(brief_ns);
    const std::vector<core::actions::notice> exhausted =
        of_kind(*h, core::notice_kind::accept_resources_exhausted);
    REQUIRE(exhausted.size() == 1);
    CHECK(exhausted[0].error_value == ENFILE);
    CHECK(h->notice_records().size() == 1);
    CHECK(h->invariant());
}

TEST_CASE_FIXTURE(scenario,
                  "a drain's deadline delivers one drain_deadline_reached notice to the hook, "
                  "and a drain every connection finishes before none") {
    const handler_form form = either_form();
    server_config cfg = recording(4, form);
    bool lingers = true;
    SUBCASE("a connection lingers past the deadline") {
        lingers = true;
    }
    SUBCASE("every connection finishes in time") {
        lingers = false;
    }
    start(cfg);
    const client_id c = answered_client(*h, "drained");
    h->close_with_drain(std::chrono::milliseconds(200));
    if (!lingers) {
        h->send(c, "quit\n");
        CHECK(h->receive_line(c, patience_ns) == "bye");
    }
    CHECK(
        h->wait_until([&] { return h->close_finished() && h->handlers_finished(); }, patience_ns));
    h->advance(300 * ms);  // past the deadline, whichever way the drain ended
    const std::vector<core::actions::notice> reached =
        of_kind(*h, core::notice_kind::drain_deadline_reached);
    CHECK(reached.size() == (lingers ? 1U : 0U));
    for (const core::actions::notice& n : reached)
        CHECK(n.error_value == 0);
    CHECK(h->wait_peer_closed(c, patience_ns));
    CHECK(h->invariant());
}

}  // namespace berth::conformance
