// The error policy decision (SEMANTICS.md section 5.3). The core decides which
// policy applies and when (after the slot is free); the driver, which holds the
// user's function and the error itself, carries it out.
#include "berth/core/detail/assert.hpp"
#include "berth/core/server.hpp"

namespace berth::core {

policy_action server::decide_policy(detail::result_state result) const {
    if (result == detail::result_state::ok) return policy_action::none;
    switch (opts_.on_handler_error) {
        case error_policy::raise: return policy_action::raise;
        case error_policy::ignore: return policy_action::ignore;
        case error_policy::call: return policy_action::call;
        case error_policy::unset: break;
    }
    BERTH_ASSERT(false && "on_handler_error is validated at creation");
    return policy_action::ignore;
}

}  // namespace berth::core
