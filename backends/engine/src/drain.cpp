// Feeding the core and draining its actions: the loop of docs/architecture.md,
// written once for every backend. Each action kind has its own execute() overload,
// chosen by std::visit, so an action the engine does not handle is a compile error.
//
// User code that is not a handler (error hooks, notices, completions, raised
// errors) is posted, never run inside the drain, so that a user's call never finds
// the server half way through an action. Handlers do run inside it (a handler's
// first slice starts in start_handler, so that none can start after close has
// returned); what they report meanwhile is handled without a nested drain (rule 3).
#include <string>
#include <utility>

#include "berth/core/detail/assert.hpp"
#include "berth/engine/server.hpp"
#include "berth/errors.hpp"

namespace berth::engine {

namespace {

// A drain that does not end is a core bug; the bound turns a hang into a failure.
constexpr int drain_actions_max = 1'000'000;

}  // namespace

server::server(std::unique_ptr<io> loop, config cfg)
    : io_(std::move(loop)),
      core_(cfg.opts, std::holds_alternative<reader_writer_handler>(cfg.serve)
                          ? core::connection_form::reader_writer
                          : core::connection_form::socket),
      serve_(std::move(cfg.serve)),
      hooks_(std::move(cfg.hooks)),
      listening_on_(std::move(cfg.listening_on)),
      backend_name_(cfg.backend_name) {
    io_->attach(*this);
}

// Connections still here hold frames and the backend's handles; they go before the
// backend's loop object does.
server::~server() {
    connections_.clear();
}

void server::start() {
    self_ = shared_from_this();
    drain();
}

// The backend's clock is monotonic, and a turn's reading was taken before any
// reading after the turn, so the core never sees time go back.
core::time_ns server::now_ns() {
    if (turn_depth_ == 0) return io_->now_ns();
    if (turn_now_ns_ == no_reading_ns) turn_now_ns_ = io_->now_ns();
    return turn_now_ns_;
}

void server::feed(const core::event& ev) {
    ++events_handled_;
    io_->observe(ev);
    const core::event_error error = core_.handle(ev, now_ns());
    if (error != core::event_error::none) {
        io_->contract_violation("the core refused an event (variant " + std::to_string(ev.index()) +
                                "): " + core::to_string(error));
        return;
    }
    if (!draining_) drain();
}

void server::drain() {
    draining_ = true;
    // Reset even when a contract violation throws out of an action.
    struct reset {
        bool& flag;
        ~reset() { flag = false; }
    } guard{draining_};
    for (int i = 0; i < drain_actions_max; ++i) {
        const core::action a = core_.poll();
        io_->observe(a);
        if (std::holds_alternative<core::actions::idle>(a)) {
            draining_ = false;
            execute(std::get<core::actions::idle>(a));
            return;
        }
        std::visit([this](const auto& action) { execute(action); }, a);
    }
    io_->contract_violation("the core did not become idle within " +
                            std::to_string(drain_actions_max) + " actions");
}

void server::execute(const core::actions::idle& a) {
    core_deadline_ns_ = a.deadline_ns;
    arm_timer();
    keep_alive_while_serving();
}

void server::execute(const core::actions::wait_readable&) {
    BERTH_ASSERT(!waiting_readable_);
    waiting_readable_ = true;
    io_->wait_readable();
}

void server::on_listener_readable() {
    // After close_listener the wait is void, whatever the backend says: a closed
    // listener is never reported readable.
    if (!waiting_readable_) return;
    waiting_readable_ = false;
    feed(core::events::listener_readable{});
}

void server::execute(const core::actions::hold_reserve&) {
    feed(core::events::reserve_held{io_->hold_reserve()});
}

void server::execute(const core::actions::release_reserve&) {
    io_->release_reserve();
}

void server::execute(const core::actions::close_listener&) {
    waiting_readable_ = false;
    io_->close_listener();
}

void server::on_listener_closed() {
    feed(core::events::listener_closed{});
}

void server::execute(const core::actions::notice& a) {
    if (!hooks_.on_notice) return;
    io_->post([self = shared_from_this(), notice = a] { self->hooks_.on_notice(notice); });
}

void server::execute(const core::actions::raise_accept_error& a) {
    raise(std::make_exception_ptr(accept_error(a.error_value)));
}

// --- The user's calls ---------------------------------------------------------------

void server::request_close(bool close_existing_connections,
                           std::chrono::nanoseconds drain_timeout) {
    if (drain_timeout < std::chrono::nanoseconds::zero()) {
        throw creation_error("close_with_drain: the drain timeout must not be negative (got " +
                             std::to_string(drain_timeout.count()) + " ns)");
    }
    const core::time_ns timeout_ns = drain_timeout == std::chrono::nanoseconds::max()
                                         ? core::no_deadline_ns
                                         : drain_timeout.count();
    feed(core::events::close_requested{close_existing_connections, timeout_ns});
}

void server::set_drop_incoming_connections(bool drop) {
    feed(core::events::drop_mode_set{drop});
}

const char* server::check_invariant() const {
    if (const char* broken = core_.check_invariant()) return broken;
    if (waiting_readable_ != (core_.accept_step() == core::accept_phase::waiting_readable)) {
        return "the engine and the core disagree on the outstanding accept step";
    }
    if (connections_held_ > core_.num_connections()) {
        return "the engine holds more connections than the core counts";
    }
    if (!deadlines_.consistent()) return "the engine's deadline heap is out of order";
    if (draining_) return "a drain is in progress";
    return io_->check_invariant();
}

}  // namespace berth::engine
