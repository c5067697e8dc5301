#include "core_driver.hpp"

#include <sstream>
#include <stdexcept>

namespace berth::test {

void core_driver::drain() {
    // Bounded: a core that never goes idle is a bug the test must report, not hang on.
    for (int i = 0; i < 1'000'000; ++i) {
        core::action a = server_.poll();
        if (const auto* idle = std::get_if<core::actions::idle>(&a)) {
            deadline_ns_ = idle->deadline_ns;
            return;
        }
        if (const auto* batch = std::get_if<core::actions::accept_batch>(&a)) {
            batch_is_shed_ = batch->shed;
        }
        actions_.push_back(a);
        // Opening the reserve is immediate: the answer comes while the action is
        // executed, as the contract allows (docs/architecture.md, rule 3).
        if (std::holds_alternative<core::actions::hold_reserve>(a) &&
            reserve_answer_ != reserve_answer::leave) {
            const core::event_error error = server_.handle(
                core::events::reserve_held{reserve_answer_ == reserve_answer::hold}, now_ns_);
            if (error != core::event_error::none) {
                throw std::runtime_error("core_driver: reserve_held refused");
            }
        }
    }
    throw std::runtime_error("core_driver: the core never became idle");
}

core::event core_driver::accepted(core::socket_handle socket) const {
    if (batch_is_shed_) return core::events::socket_shed{};
    return core::events::socket_accepted{socket};
}

std::size_t core_driver::accept(const std::vector<core::socket_handle>& sockets) {
    if (feed(core::events::listener_readable{}) != core::event_error::none) {
        throw std::runtime_error("core_driver::accept: the core was not waiting for readability");
    }
    std::size_t taken = 0;
    for (const core::socket_handle s : sockets) {
        if (!server_.accept_batch_wants_more()) break;
        if (feed(accepted(s)) != core::event_error::none) {
            throw std::runtime_error("core_driver::accept: socket_accepted refused");
        }
        ++taken;
    }
    if (server_.accept_batch_wants_more()) {
        static_cast<void>(feed(core::events::accept_failed{EAGAIN}));
    }
    static_cast<void>(feed(core::events::batch_done{}));
    return taken;
}

std::size_t core_driver::accept_results(const std::vector<int>& results) {
    if (feed(core::events::listener_readable{}) != core::event_error::none) {
        throw std::runtime_error(
            "core_driver::accept_results: the core was not waiting for readability");
    }
    std::size_t taken = 0;
    for (const int r : results) {
        if (!server_.accept_batch_wants_more()) break;
        const core::event_error error =
            r == 0 ? feed(accepted(next_socket())) : feed(core::events::accept_failed{r});
        if (error != core::event_error::none) {
            throw std::runtime_error("core_driver::accept_results: result refused");
        }
        if (r == 0) ++taken;
    }
    static_cast<void>(feed(core::events::batch_done{}));
    return taken;
}

bool core_driver::write(core::connection_id id, std::uint64_t bytes) {
    if (feed(core::events::bytes_buffered{id, bytes}) != core::event_error::none) {
        throw std::runtime_error("core_driver::write: bytes_buffered refused");
    }
    const core::writer_tracker* w = server_.writer_of(id);
    return w != nullptr && w->accepts_writes();
}

core::event_error core_driver::flush(core::connection_id id, std::uint64_t bytes) {
    return feed(core::events::bytes_flushed{id, bytes});
}

core::event_error core_driver::write_fails(core::connection_id id, int error_value) {
    return feed(core::events::write_failed{id, error_value});
}

std::uint64_t core_driver::held(core::connection_id id) const {
    const core::writer_tracker* w = server_.writer_of(id);
    return w == nullptr ? 0 : w->bytes_waiting();
}

namespace {

std::string id_text(core::connection_id id) {
    return std::to_string(id.index) + "." + std::to_string(id.generation);
}

}  // namespace

std::string describe(const core::action& a) {
    using namespace core::actions;
    struct visitor {
        std::string operator()(const idle& x) const {
            return x.deadline_ns == core::no_deadline_ns
                       ? "idle"
                       : "idle(until " + std::to_string(x.deadline_ns) + ")";
        }
        std::string operator()(const wait_readable&) const { return "wait_readable"; }
        std::string operator()(const hold_reserve&) const { return "hold_reserve"; }
        std::string operator()(const release_reserve&) const { return "release_reserve"; }
        std::string operator()(const accept_batch& x) const {
            return "accept_batch(" + std::to_string(x.max_sockets) + (x.shed ? ", shed)" : ")");
        }
        std::string operator()(const start_handler& x) const {
            return "start_handler(" + id_text(x.id) + ")";
        }
        std::string operator()(const close_socket& x) const {
            return "close_socket(" + id_text(x.id) + ")";
        }
        std::string operator()(const close_dropped_socket& x) const {
            return "close_dropped_socket(" + std::to_string(x.socket) + ")";
        }
        std::string operator()(const close_listener&) const { return "close_listener"; }
        std::string operator()(const release_connection& x) const {
            // Named only when the writer decided: most tests are about handlers.
            const std::string by = x.decided_by == core::result_source::writer ? ", by writer" : "";
            return "release_connection(" + id_text(x.id) + ", " + core::to_string(x.policy) + by +
                   ")";
        }
        std::string operator()(const notice& x) const {
            return std::string("notice(") + core::to_string(x.kind) + ")";
        }
        std::string operator()(const raise_accept_error& x) const {
            return "raise_accept_error(" + std::to_string(x.error_value) + ")";
        }
        std::string operator()(const complete_close&) const { return "complete_close"; }
        std::string operator()(const complete_handlers_finished&) const {
            return "complete_handlers_finished";
        }
    };
    return std::visit(visitor{}, a);
}

std::string describe(const std::vector<core::action>& as) {
    std::ostringstream os;
    for (std::size_t i = 0; i < as.size(); ++i)
        os << (i ? ", " : "") << describe(as[i]);
    return os.str();
}

}  // namespace berth::test
