#include "coverage.hpp"

#include <ostream>

namespace berth::fuzz {

namespace {

// In the order of the core::action variant.
constexpr std::array<const char*, 14> action_names = {
    "idle",           "wait_readable",
    "hold_reserve",   "release_reserve",
    "accept_batch",   "start_handler",
    "close_socket",   "close_dropped_socket",
    "close_listener", "release_connection",
    "notice",         "raise_accept_error",
    "complete_close", "complete_handlers_finished",
};
static_assert(action_names.size() == std::variant_size_v<core::action>,
              "a new action kind needs a name here and a corpus input that reaches it");

constexpr std::array<core::notice_kind, 6> all_notices = {
    core::notice_kind::at_limit,
    core::notice_kind::accept_resources_exhausted,
    core::notice_kind::late_handler_result,
    core::notice_kind::drain_deadline_reached,
    core::notice_kind::late_write,
    core::notice_kind::extra_completion,
};

// The statuses a writer that decided a result leaves in the release: open for a
// departed peer (an ok result, nothing to describe), else its failure.
constexpr std::array<core::writer_status, 4> writer_decisions = {
    core::writer_status::open,
    core::writer_status::too_old,
    core::writer_status::too_full,
    core::writer_status::failed,
};

constexpr std::array<core::policy_action, 4> all_policies = {
    core::policy_action::none,
    core::policy_action::ignore,
    core::policy_action::call,
    core::policy_action::raise,
};

}  // namespace

void coverage::saw(const core::action& a) {
    ++actions_[a.index()];
    if (const auto* n = std::get_if<core::actions::notice>(&a)) {
        ++notices_[static_cast<std::size_t>(n->kind)];
    } else if (const auto* r = std::get_if<core::actions::release_connection>(&a)) {
        ++policies_[static_cast<std::size_t>(r->policy)];
        if (r->decided_by == core::result_source::writer) {
            ++writer_decisions_[static_cast<std::size_t>(r->writer.status)];
        }
    } else if (const auto* b = std::get_if<core::actions::accept_batch>(&a)) {
        if (b->shed) ++shed_batches_;
    }
}

void coverage::saw_refusal(core::event_error error) {
    const auto index = static_cast<std::size_t>(error);
    if (index < refusals_.size()) ++refusals_[index];
}

std::vector<std::string> coverage::missing() const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < action_kinds; ++i) {
        if (actions_[i] == 0) out.emplace_back(std::string("action ") + action_names[i]);
    }
    for (const core::notice_kind kind : all_notices) {
        if (notices_[static_cast<std::size_t>(kind)] == 0) {
            out.emplace_back(std::string("notice ") + core::to_string(kind));
        }
    }
    for (const core::policy_action policy : all_policies) {
        if (policies_[static_cast<std::size_t>(policy)] == 0) {
            out.emplace_back(std::string("release with policy ") + core::to_string(policy));
        }
    }
    for (const core::writer_status status : writer_decisions) {
        if (writer_decisions_[static_cast<std::size_t>(status)] == 0) {
            out.emplace_back(std::string("release decided by a writer, ") +
                             core::to_string(status));
        }
    }
    for (std::size_t i = 1; i < refusals_.size(); ++i) {
        if (refusals_[i] == 0) {
            out.emplace_back(std::string("refusal: ") +
                             core::to_string(static_cast<core::event_error>(i)));
        }
    }
    if (shed_batches_ == 0) out.emplace_back("accept_batch with shed");
    return out;
}

void coverage::print(std::ostream& os) const {
    for (std::size_t i = 0; i < action_kinds; ++i) {
        os << "  action " << action_names[i] << ": " << actions_[i] << '\n';
    }
    for (const core::notice_kind kind : all_notices) {
        os << "  notice " << core::to_string(kind) << ": "
           << notices_[static_cast<std::size_t>(kind)] << '\n';
    }
    for (const core::policy_action policy : all_policies) {
        os << "  release with policy " << core::to_string(policy) << ": "
           << policies_[static_cast<std::size_t>(policy)] << '\n';
    }
    for (const core::writer_status status : writer_decisions) {
        os << "  release decided by a writer, " << core::to_string(status) << ": "
           << writer_decisions_[static_cast<std::size_t>(status)] << '\n';
    }
    os << "  accept_batch with shed: " << shed_batches_ << '\n';
    for (std::size_t i = 1; i < refusals_.size(); ++i) {
        os << "  refusal " << core::to_string(static_cast<core::event_error>(i)) << ": "
           << refusals_[i] << '\n';
    }
}

coverage& seen() {
    static coverage instance;
    return instance;
}

}  // namespace berth::fuzz
