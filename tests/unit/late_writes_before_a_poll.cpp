// SEMANTICS.md section 5.2: each connection that writes after its result gets one
// late_write notice. A driver may report several events before it polls
// (docs/architecture.md, rule 3): late writes of several connections reported so
// are all noticed, each once, in the order they were written, before the releases.
#include <cerrno>
#include <initializer_list>
#include <vector>

#include <doctest/doctest.h>

#include "unit_support.hpp"

using namespace berth;
using namespace berth::test;
namespace ev = berth::core::events;

TEST_CASE("Late writes of three connections reported before one poll get a notice each, in order") {
    core_driver d(writer_options(), reader_writer);
    static_cast<void>(d.take());
    d.accept({1});
    d.accept({2});
    d.accept({3});
    const auto ids = started_ids(d.take());
    REQUIRE(ids.size() == 3);
    for (const core::connection_id id : ids) {
        REQUIRE(d.write_fails(id, EIO) == core::event_error::none);
    }
    static_cast<void>(d.take());

    // Written in the order 2, 0, 1, with a second late write of 2: no poll between.
    core::server& s = d.server();
    for (const std::size_t i : std::initializer_list<std::size_t>{2, 0, 2, 1}) {
        REQUIRE(s.handle(ev::bytes_buffered{ids[i], 5}, d.now_ns()) == core::event_error::none);
    }
    CHECK(s.stats().late_writes == 4);
    CHECK(invariant_breach(s) == "");

    std::vector<core::connection_id> noticed;
    for (int i = 0; i < 10; ++i) {
        const core::action a = s.poll();
        if (std::holds_alternative<core::actions::idle>(a)) break;
        const auto* n = std::get_if<core::actions::notice>(&a);
        REQUIRE_MESSAGE(n != nullptr, describe(a));
        CHECK(n->kind == core::notice_kind::late_write);
        noticed.push_back(n->id);
    }
    CHECK(noticed == std::vector<core::connection_id>{ids[2], ids[0], ids[1]});
    CHECK(s.invariant());
}
