// The part of a harness that only asks the backend's server handle: every
// backend's server offers the same names (SEMANTICS.md sections 8 and 9), so the
// forwarding, the policy and raise logs, and the watch on the two completions are
// written once. Each backend's harness adds its event loop and its clients.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness.hpp"

namespace berth::conformance {

template <typename Server>
class server_harness : public harness {
public:
    [[nodiscard]] bool close_finished() const override { return close_finished_; }
    [[nodiscard]] bool handlers_finished() const override { return handlers_finished_; }
    [[nodiscard]] bool is_closed() const override { return server_->is_closed(); }
    [[nodiscard]] std::uint32_t num_connections() const override {
        return server_->num_connections();
    }
    void set_drop_incoming_connections(bool drop) override {
        server_->set_drop_incoming_connections(drop);
    }
    [[nodiscard]] bool is_dropping_incoming_connections() const override {
        return server_->is_dropping_incoming_connections();
    }
    [[nodiscard]] bool invariant() const override { return server_->invariant(); }
    [[nodiscard]] core::statistics stats() const override { return server_->stats(); }
    [[nodiscard]] std::vector<std::string> policy_calls() const override { return calls_; }
    [[nodiscard]] std::vector<std::string> raised_errors() const override { return raised_; }

protected:
    /// Takes the server just created and watches its two completions. Derived
    /// harnesses reset `server_` in shut_down, before their event loop goes.
    void adopt(Server server) {
        server_.emplace(std::move(server));
        server_->close_finished([this] { close_finished_ = true; });
        server_->handlers_finished([this] { handlers_finished_ = true; });
    }

    std::optional<Server> server_;
    std::vector<std::string> calls_;   // "PEER: MESSAGE" of every `call`
    std::vector<std::string> raised_;  // errors that left the backend's run
    bool close_finished_ = false;
    bool handlers_finished_ = false;
};

}  // namespace berth::conformance
