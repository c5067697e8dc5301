// The release of a connection and its error policy (SEMANTICS.md section 5.3). The
// core decides which policy applies, and when (after the slot is free); the engine
// holds the error and the user's function, and carries it out. A `call` that throws
// closes the server, without its connections, before the error propagates.
#include <string>
#include <utility>

#include "berth/core/detail/assert.hpp"
#include "berth/engine/server.hpp"
#include "berth/errors.hpp"

namespace berth::engine {

namespace {

std::string writer_failure_message(const core::writer_failure& f) {
    switch (f.status) {
        case core::writer_status::too_old:
            return "writer buffer too old: " + std::to_string(f.age_ns / core::ns_per_ms) +
                   " ms old, " + std::to_string(f.bytes_held) +
                   " bytes waiting (buffer_age_limit " +
                   std::to_string(f.limit_ns / core::ns_per_ms) + " ms exceeded)";
        case core::writer_status::too_full:
            return "writer buffer full: " + std::to_string(f.bytes_held) +
                   " bytes held, a write of " + std::to_string(f.bytes_refused) +
                   " bytes refused (buffer_limit_bytes " + std::to_string(f.limit_bytes) +
                   " exceeded)";
        case core::writer_status::failed: return "write failed: " + describe_errno(f.error_value);
        // Not errors: the core hands none of these out as a writer failure. Every
        // status is listed, so that a new one is a -Wswitch warning here.
        case core::writer_status::open:
        case core::writer_status::final_flush:
        case core::writer_status::ready_to_close:
        case core::writer_status::peer_gone:
        case core::writer_status::discarded: break;
    }
    return std::string("writer stopped: ") + core::to_string(f.status);
}

}  // namespace

void server::execute(const core::actions::release_connection& a) {
    std::unique_ptr<connection> c = std::move(connections_[a.id.index]);
    BERTH_ASSERT(c != nullptr && c->id() == a.id);
    --connections_held_;
    unschedule(*c);
    std::exception_ptr error;
    if (a.result == core::outcome::error) {
        error = a.decided_by == core::result_source::handler
                    ? c->take_handler_error()
                    : std::make_exception_ptr(writer_error(writer_failure_message(a.writer)));
        BERTH_ASSERT(error != nullptr);
    }
    const address peer = c->peer();
    c.reset();  // the handler's frame goes here: the connection is over
    switch (a.policy) {
        case core::policy_action::none:
        case core::policy_action::ignore: break;
        case core::policy_action::call:
            io_->post([self = shared_from_this(), peer, error] {
                try {
                    self->hooks_.on_handler_error(peer, error);
                } catch (...) {
                    self->feed(core::events::close_requested{false, core::no_deadline_ns});
                    self->raise(std::current_exception());
                }
            });
            break;
        case core::policy_action::raise: raise(error); break;  // the core is already closing
    }
}

void server::raise(std::exception_ptr error) {
    io_->raise(std::move(error));
}

}  // namespace berth::engine
