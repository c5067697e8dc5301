// What the fuzz driver has seen the core do, over all inputs run in this process:
// every action kind, every notice kind, shed batches, every policy decision, every
// way a writer can decide a connection's result, and every way an event can be
// refused. The corpus replay fails when one is missing,
// so the committed corpus keeps reaching all of them.
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <variant>
#include <vector>

#include "berth/core/action.hpp"
#include "berth/core/event_error.hpp"

namespace berth::fuzz {

class coverage {
public:
    void saw(const core::action& a);
    void saw_refusal(core::event_error error);

    /// The names of everything not seen yet; empty when the coverage is complete.
    [[nodiscard]] std::vector<std::string> missing() const;
    void print(std::ostream& os) const;

private:
    static constexpr std::size_t action_kinds = std::variant_size_v<core::action>;
    static constexpr std::size_t notice_kinds = 6;
    static constexpr std::size_t policy_kinds = 4;
    // Indexed by writer_status: the status a release names when the writer decided
    // (open for a departed peer, which is no failure).
    static constexpr std::size_t writer_status_kinds = 8;
    // event_error::none is not a refusal; the others are listed in event_error.hpp.
    static constexpr std::size_t refusal_kinds =
        static_cast<std::size_t>(core::event_error::negative_drain_timeout) + 1;

    std::array<std::uint64_t, action_kinds> actions_{};
    std::array<std::uint64_t, notice_kinds> notices_{};
    std::array<std::uint64_t, policy_kinds> policies_{};
    std::array<std::uint64_t, writer_status_kinds> writer_decisions_{};
    std::array<std::uint64_t, refusal_kinds> refusals_{};
    std::uint64_t shed_batches_ = 0;
};

/// The one instance the fuzz target records into.
coverage& seen();

}  // namespace berth::fuzz
