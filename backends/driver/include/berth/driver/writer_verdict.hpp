// What a `create` connection's writer state asks of its driver (SEMANTICS.md
// section 7): the books are core::writer_tracker's, the mapping of its status to
// the core's events is the same for every backend; only re-arming the check timer
// and closing the socket are the loop's.
#pragma once

#include <exception>
#include <optional>
#include <string>

#include "berth/core/event.hpp"
#include "berth/core/writer_tracker.hpp"

namespace berth::driver {

struct writer_verdict {
    /// The writer is open or in its final flush: check again at `check_at_ns`
    /// (no_deadline_ns: no timer), and leave the socket as it is.
    bool waiting = false;
    core::time_ns check_at_ns = core::no_deadline_ns;
    /// The event to report, once per connection: writer_failed or peer_gone.
    std::optional<core::event> report;
    /// With writer_failed: the connection's error, a writer_error saying why
    /// (writer_failure_message). Null otherwise: peer_gone is an ok result.
    std::exception_ptr error;
};

/// Checks `tracker` at `now_ns`. `reported` is the connection's "writer_failed or
/// peer_gone already reported" flag: set here when `report` is filled, so that the
/// event goes to the core once.
[[nodiscard]] writer_verdict judge_writer(core::writer_tracker& tracker, bool& reported,
                                          core::connection_id id, core::time_ns now_ns);

/// The error text of a failed writer: its age and bytes for too_old, else the
/// write's errno text. Precondition: the tracker's status is too_old or failed.
[[nodiscard]] std::string writer_failure_message(const core::writer_tracker& tracker);

}  // namespace berth::driver
