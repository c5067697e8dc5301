// Small helpers shared by the core's unit tests: option sets, and the few steps
// most tests repeat (admit connections, finish one, compare descriptions).
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "core_driver.hpp"

namespace berth::test {

inline core::options options_with(std::uint32_t max_connections,
                                  std::uint32_t max_accepts_per_batch = 1,
                                  core::error_policy policy = core::error_policy::ignore) {
    core::options o;
    o.max_connections = max_connections;
    o.max_accepts_per_batch = max_accepts_per_batch;
    o.on_handler_error = policy;
    return o;
}

/// The ids of the start_handler actions among `as`, in order.
inline std::vector<core::connection_id> started_ids(const std::vector<core::action>& as) {
    std::vector<core::connection_id> out;
    for (const core::action& a : as) {
        if (const auto* s = std::get_if<core::actions::start_handler>(&a)) out.push_back(s->id);
    }
    return out;
}

/// The sockets of the start_handler actions among `as`, in order.
inline std::vector<core::socket_handle> started_sockets(const std::vector<core::action>& as) {
    std::vector<core::socket_handle> out;
    for (const core::action& a : as) {
        if (const auto* s = std::get_if<core::actions::start_handler>(&a)) out.push_back(s->socket);
    }
    return out;
}

/// Runs one accept step taking `sockets` and returns the connections it started.
/// Clears the driver's record.
inline std::vector<core::connection_id> admit(core_driver& d,
                                              const std::vector<core::socket_handle>& sockets) {
    static_cast<void>(d.take());
    REQUIRE(d.waiting_readable());
    d.accept(sockets);
    return started_ids(d.take());
}

/// Ends a running connection the ordinary way: its handler returns with `result`,
/// then its socket's close completes. Returns the actions of the socket_closed step.
inline std::vector<core::action> finish(core_driver& d, core::connection_id id,
                                        core::outcome result = core::outcome::ok) {
    static_cast<void>(d.take());
    REQUIRE(d.feed(core::events::handler_returned{id, result}) == core::event_error::none);
    const auto closes = d.take_of<core::actions::close_socket>();
    REQUIRE(closes.size() == 1);
    REQUIRE(closes[0].id == id);
    REQUIRE(d.feed(core::events::socket_closed{id}) == core::event_error::none);
    return d.take();
}

/// Options for a reader_writer server with limits small enough to reach in a test.
inline core::options writer_options(std::uint32_t max_connections = 4,
                                    core::error_policy policy = core::error_policy::call) {
    core::options o = options_with(max_connections, 1, policy);
    o.buffer_age_limit_ns = 10 * core::ns_per_s;
    o.buffer_limit_bytes = 1000;
    o.final_flush_timeout_ns = 30 * core::ns_per_s;
    return o;
}

inline constexpr core::connection_form reader_writer = core::connection_form::reader_writer;

/// The release_connection actions among `as`, in order.
inline std::vector<core::actions::release_connection> releases_of(
    const std::vector<core::action>& as) {
    std::vector<core::actions::release_connection> out;
    for (const core::action& a : as) {
        if (const auto* r = std::get_if<core::actions::release_connection>(&a)) out.push_back(*r);
    }
    return out;
}

/// The notices among `as`, in order.
inline std::vector<core::actions::notice> notices_of(const std::vector<core::action>& as) {
    std::vector<core::actions::notice> out;
    for (const core::action& a : as) {
        if (const auto* n = std::get_if<core::actions::notice>(&a)) out.push_back(*n);
    }
    return out;
}

/// The first invariant check_invariant() finds broken, or "" when all hold.
inline std::string invariant_breach(const core::server& s) {
    const char* broken = s.check_invariant();
    return broken == nullptr ? std::string() : std::string(broken);
}

inline std::string json_of(const core::server& s) {
    std::ostringstream os;
    s.write_json(os);
    return os.str();
}

inline std::string text_of(const core::server& s) {
    std::ostringstream os;
    os << s;
    return os.str();
}

/// The id as describe() prints it: "index.generation".
inline std::string id_text(core::connection_id id) {
    return std::to_string(id.index) + "." + std::to_string(id.generation);
}

}  // namespace berth::test

namespace berth::test {

/// Hands `e` to the server at `now_ns` and checks that it is refused with
/// `expected` and that nothing observable changed: the description, the time, the
/// batch, and the next action (idle, with the deadline the driver armed).
inline void expect_refused(core_driver& d, const core::event& e, core::event_error expected,
                           core::time_ns now_ns) {
    core::server& s = d.server();
    const std::string before = json_of(s);
    const std::uint32_t connections_before = s.num_connections();
    const core::time_ns time_before = s.now_ns();
    const bool wants_more_before = s.accept_batch_wants_more();
    const core::time_ns back_off_before = s.back_off_until_ns();
    const core::reserve_state reserve_before = s.reserve();

    const core::event_error got = s.handle(e, now_ns);
    CHECK_MESSAGE(got == expected, core::to_string(got));

    CHECK(json_of(s) == before);
    CHECK(s.num_connections() == connections_before);
    CHECK(s.now_ns() == time_before);
    CHECK(s.accept_batch_wants_more() == wants_more_before);
    CHECK(s.back_off_until_ns() == back_off_before);
    CHECK(s.reserve() == reserve_before);
    const core::action next = s.poll();
    const auto* idle = std::get_if<core::actions::idle>(&next);
    REQUIRE_MESSAGE(idle != nullptr, describe(next));
    CHECK(idle->deadline_ns == d.deadline_ns());
    CHECK(s.invariant());
}

/// As above, a nanosecond after the driver's time: a refused event must not even
/// move the clock.
inline void expect_refused(core_driver& d, const core::event& e, core::event_error expected) {
    expect_refused(d, e, expected, d.now_ns() + 1);
}

}  // namespace berth::test
