// The core as the model-based test drives it: a driver that feeds one event, pulls
// actions until idle as the contract says, checks the invariant after every step,
// and writes down what it saw in the model's vocabulary (connections named by
// socket handle). It also checks the orders the model leaves open: handlers start
// in accept order after the whole batch holds its slots, dropped sockets close in
// accept order, a late-result notice comes right before its release, a late-write
// notice names a live connection, a reserve released for a shed batch comes right
// before that batch, the reserve the driver holds is released once, and
// complete_close comes before complete_handlers_finished.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "berth/core/server.hpp"

namespace berth::test {

struct observation {
    core::event_error error = core::event_error::none;
    std::vector<std::string> actions;  // action_text.hpp form, in the order pulled
    core::time_ns deadline_ns = core::no_deadline_ns;
    std::string problem;  // empty, or what broke (invariant, order, unknown id, ...)
};

class core_under_test {
public:
    core_under_test(const core::options& opts, core::connection_form form);

    /// The drain that follows creation.
    [[nodiscard]] observation start();
    /// Feeds `ev` at `now_ns`, then drains. `num_connections_at_start` is what
    /// num_connections must be whenever a handler starts (the whole batch admitted).
    [[nodiscard]] observation feed(const core::event& ev, core::time_ns now_ns,
                                   std::uint32_t num_connections_at_start = 0);
    /// Feeds batch_done; when the first handler of the batch starts, that handler
    /// closes the server (a close_requested fed while the drain is under way).
    [[nodiscard]] observation feed_batch_done_then_close(core::time_ns now_ns, bool close_existing,
                                                         std::uint32_t num_connections_at_start);
    /// Pulls once without feeding anything: the deadline the driver must arm.
    [[nodiscard]] observation look();

    /// The id the core gave this socket's connection; socket 0 gives {0, 0}.
    [[nodiscard]] core::connection_id id_of(core::socket_handle socket) const;
    /// An id the core has not issued: a generation past every one seen at the
    /// socket's slot.
    [[nodiscard]] core::connection_id forged_id_near(core::socket_handle socket) const;

    [[nodiscard]] const core::server& server() const { return server_; }
    [[nodiscard]] const std::set<core::socket_handle>& closing_sockets() const { return closing_; }
    [[nodiscard]] bool listener_closing() const { return listener_closing_; }
    [[nodiscard]] int close_completions() const { return close_completions_; }
    [[nodiscard]] int finished_completions() const { return finished_completions_; }
    /// Whether the driver holds its reserved descriptor (reported held, not released).
    [[nodiscard]] bool holds_reserve() const { return holds_reserve_; }

private:
    /// What one drain must respect besides the actions themselves.
    struct drain_rules {
        std::uint32_t num_connections_at_start = 0;
        bool close_in_first_handler = false;
        bool close_existing = false;
        core::time_ns now_ns = 0;
    };
    /// Order checks carried from one action of a drain to the next.
    struct drain_order {
        core::socket_handle last_started = 0;
        core::socket_handle last_dropped = 0;
        core::socket_handle late_notice_for = 0;
        bool shed_batch_next = false;  // a release_reserve for a shed batch came last
    };

    void drain(observation& seen, drain_rules rules);
    [[nodiscard]] std::string take(const core::action& a, const drain_rules& rules,
                                   drain_order& order, std::string& problem);
    void learn(core::connection_id id, core::socket_handle socket, std::string& problem);
    [[nodiscard]] core::socket_handle socket_of(core::connection_id id, std::string& problem) const;
    [[nodiscard]] core::socket_handle socket_of_unchecked(core::connection_id id) const;
    void note_fed(const core::event& ev);
    [[nodiscard]] std::string description() const;

    core::server server_;
    std::map<core::socket_handle, core::connection_id> ids_;
    std::map<std::uint64_t, core::socket_handle> sockets_;  // key: index << 32 | generation
    std::map<std::uint32_t, std::uint32_t> newest_generation_;
    std::set<core::socket_handle> closing_;
    bool listener_closing_ = false;
    int close_completions_ = 0;
    int finished_completions_ = 0;
    bool holds_reserve_ = false;
};

}  // namespace berth::test
