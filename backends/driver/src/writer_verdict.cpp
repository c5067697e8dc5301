#include "berth/driver/writer_verdict.hpp"

#include <system_error>

#include "berth/core/detail/assert.hpp"
#include "berth/driver/errors.hpp"

namespace berth::driver {

std::string writer_failure_message(const core::writer_tracker& tracker) {
    if (tracker.status() == core::writer_status::too_old) {
        return "writer buffer too old: " +
               std::to_string(tracker.age_at_failure_ns() / core::ns_per_ms) + " ms old, " +
               std::to_string(tracker.bytes_at_failure()) +
               " bytes waiting (buffer_age_limit exceeded)";
    }
    BERTH_ASSERT(tracker.status() == core::writer_status::failed);
    // errno values, whichever loop saw them: the generic category's text is strerror's.
    return "write failed: " + std::generic_category().message(tracker.error_value());
}

writer_verdict judge_writer(core::writer_tracker& tracker, bool& reported, core::connection_id id,
                            core::time_ns now_ns) {
    writer_verdict verdict;
    switch (tracker.check(now_ns)) {
        case core::writer_status::open:
        case core::writer_status::final_flush:
            verdict.waiting = true;
            verdict.check_at_ns = tracker.next_deadline_ns();
            break;
        case core::writer_status::too_old:
        case core::writer_status::failed:
            if (!reported) {
                reported = true;
                verdict.report = core::events::writer_failed{id};
                verdict.error =
                    std::make_exception_ptr(writer_error(writer_failure_message(tracker)));
            }
            break;
        case core::writer_status::peer_gone:
            if (!reported) {
                reported = true;
                verdict.report = core::events::peer_gone{id};
            }
            break;
        case core::writer_status::ready_to_close: break;
    }
    return verdict;
}

}  // namespace berth::driver
