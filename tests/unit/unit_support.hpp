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
