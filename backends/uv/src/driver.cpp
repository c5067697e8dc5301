// The libuv backend's execution of the core's actions (core/include/berth/core/
// action.hpp) and its reports back; the server's own handles (the listening poll,
// the core's timer, the idle handle that runs posted work). User code (error hooks,
// notices, completions, raised errors) is posted, never run inside the drain, so
// that a user's call never finds the server half way through an action.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/socket.h>
#include <utility>

#include "berth/core/detail/assert.hpp"
#include "berth/driver/driver_invariant.hpp"
#include "berth/posix/close_socket.hpp"
#include "server_impl.hpp"

namespace berth::uv::detail {

namespace {

// A drain that does not end is a core bug; the bound turns a hang into a failure.
constexpr int drain_actions_max = 1'000'000;
// Posted work run per idle callback, so that work posting work cannot starve I/O.
constexpr std::size_t posted_per_turn_max = 4096;

// Nothing may be thrown through libuv's C frames: a broken contract stops here.
[[noreturn]] void driver_bug(const std::string& what) {
    std::fprintf(stderr, "berth uv: driver bug: %s\n", what.c_str());
    std::abort();
}

server_impl* owner_of(const uv_handle_t* handle) {
    return static_cast<server_impl*>(handle->data);
}

}  // namespace

server_impl::server_impl(uv_loop_t* l, posix::listener lst, const core::options& opts,
                         sock_handler sock, stream_handler stream, server_hooks h)
    : loop(l),
      listen(std::move(lst)),
      core(opts),
      sock_fn(std::move(sock)),
      stream_fn(std::move(stream)),
      hooks(std::move(h)),
      accepting_(opts.on_accept_exhaustion) {}

server_impl::~server_impl() {
    // Every own handle was closed before the last reference went (self_).
    BERTH_ASSERT(poll_state_ == handle_state::closed);
    BERTH_ASSERT(timer_state_ == handle_state::closed);
    BERTH_ASSERT(idle_state_ == handle_state::closed);
}

core::time_ns server_impl::now_ns() {
    return static_cast<core::time_ns>(uv_hrtime());
}

void server_impl::start() {
    const int rc = uv_poll_init_socket(loop, &poll_, listen.fd());
    if (rc != 0) {
        throw std::system_error(-rc, std::generic_category(),
                                "cannot watch the listening socket with uv_poll");
    }
    poll_.data = this;
    poll_state_ = handle_state::open;
    self_ = shared_from_this();
    open_own_handles();
    drain();
}

void server_impl::open_own_handles() {
    if (!self_) self_ = shared_from_this();
    if (timer_state_ == handle_state::closed) {
        static_cast<void>(uv_timer_init(loop, &timer_));  // cannot fail on Linux
        timer_.data = this;
        timer_state_ = handle_state::open;
        timer_at_ns_ = core::no_deadline_ns;
    }
    if (idle_state_ == handle_state::closed) {
        static_cast<void>(uv_idle_init(loop, &idle_));
        idle_.data = this;
        idle_state_ = handle_state::open;
        if (!posted_.empty()) static_cast<void>(uv_idle_start(&idle_, on_idle));
    }
}

// Once the listener is closed, no connection remains and nothing is posted, the
// server closes its own handles so that the loop can end (uv_loop_close returns 0).
// A later post or timer reopens them.
void server_impl::maybe_shut_down() {
    if (draining_ || core.listener() != core::listener_state::closed) return;
    if (!core.handlers_finished() || !posted_.empty() || !running_.empty()) return;
    if (timer_state_ == handle_state::open) {
        timer_state_ = handle_state::closing;
        uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_own_handle_closed);
    }
    if (idle_state_ == handle_state::open) {
        idle_state_ = handle_state::closing;
        uv_close(reinterpret_cast<uv_handle_t*>(&idle_), on_own_handle_closed);
    }
}

void server_impl::on_own_handle_closed(uv_handle_t* handle) {
    server_impl* self = owner_of(handle);
    if (handle == reinterpret_cast<uv_handle_t*>(&self->timer_)) {
        self->timer_state_ = handle_state::closed;
    } else {
        self->idle_state_ = handle_state::closed;
        if (!self->posted_.empty()) self->open_own_handles();  // posted while closing
    }
    const bool all_closed = self->poll_state_ == handle_state::closed &&
                            self->timer_state_ == handle_state::closed &&
                            self->idle_state_ == handle_state::closed;
    if (all_closed) {
        // May destroy *self: nothing is touched after this.
        const std::shared_ptr<server_impl> last = std::move(self->self_);
    }
}

// --- Feeding and draining -----------------------------------------------------------

void server_impl::feed(const core::event& ev) {
    const core::event_error error = core.handle(ev, now_ns());
    if (error != core::event_error::none) {
        driver_bug("the core refused an event (variant " + std::to_string(ev.index()) +
                   "): " + core::to_string(error));
    }
    if (!draining_) drain();
}

void server_impl::drain() {
    draining_ = true;
    for (int i = 0; i < drain_actions_max; ++i) {
        const core::action a = core.poll();
        if (const auto* idle = std::get_if<core::actions::idle>(&a)) {
            arm_timer(idle->deadline_ns);
            draining_ = false;
            maybe_shut_down();
            return;
        }
        execute(a);
    }
    driver_bug("the core did not become idle");
}

void server_impl::arm_timer(core::time_ns deadline_ns) {
    if (deadline_ns == timer_at_ns_) return;
    if (deadline_ns != core::no_deadline_ns && timer_state_ != handle_state::open) {
        if (timer_state_ == handle_state::closing) {
            // Cannot happen: the timer closes only once the core has no deadline left.
            driver_bug("a deadline while the timer closes");
        }
        open_own_handles();
    }
    timer_at_ns_ = deadline_ns;
    if (timer_state_ != handle_state::open) return;
    if (deadline_ns == core::no_deadline_ns) {
        static_cast<void>(uv_timer_stop(&timer_));
        return;
    }
    start_timer_at(&timer_, on_timer, deadline_ns);
}

void server_impl::start_timer_at(uv_timer_t* timer, uv_timer_cb fire, core::time_ns deadline_ns) {
    // libuv's timers count from its cached loop time in ms: refresh it and round
    // up. An early fire is harmless anyway: the deadline's owner re-arms it.
    uv_update_time(loop);
    const core::time_ns left_ns = deadline_ns - now_ns();
    const auto delay_ms =
        left_ns <= 0
            ? 0
            : static_cast<std::uint64_t>((left_ns + core::ns_per_ms - 1) / core::ns_per_ms);
    static_cast<void>(uv_timer_start(timer, fire, delay_ms, 0));
}

void server_impl::on_timer(uv_timer_t* handle) {
    server_impl* self = owner_of(reinterpret_cast<uv_handle_t*>(handle));
    self->timer_at_ns_ = core::no_deadline_ns;
    self->feed(core::events::timer_fired{});
}

void server_impl::execute(const core::action& a) {
    namespace act = core::actions;
    if (std::holds_alternative<act::wait_readable>(a)) {
        BERTH_ASSERT(!waiting_readable_ && poll_state_ == handle_state::open);
        waiting_readable_ = true;
        static_cast<void>(uv_poll_start(&poll_, UV_READABLE, on_poll));
    } else if (const auto* b = std::get_if<act::accept_batch>(&a)) {
        accepting_.run_batch(listen.fd(), core, *b, now_ns());
    } else if (const auto* s = std::get_if<act::start_handler>(&a)) {
        start_handler(*s);
    } else if (const auto* c = std::get_if<act::close_socket>(&a)) {
        close_socket(*c);
    } else if (const auto* d = std::get_if<act::close_dropped_socket>(&a)) {
        accepting_.close_dropped(d->socket);
    } else if (std::holds_alternative<act::close_listener>(a)) {
        close_listener();
    } else if (const auto* r = std::get_if<act::release_connection>(&a)) {
        release(*r);
    } else if (const auto* n = std::get_if<act::notice>(&a)) {
        if (hooks.on_notice) post([fn = hooks.on_notice, copy = *n] { fn(copy); });
    } else if (const auto* e = std::get_if<act::raise_accept_error>(&a)) {
        post([l = loop, value = e->error_value] {
            raise_on_loop(l, std::make_exception_ptr(accept_error(value)));
        });
    } else if (std::holds_alternative<act::complete_close>(a)) {
        completions_.complete(completion_kind::close, [this](auto done) { post(std::move(done)); });
    } else if (std::holds_alternative<act::complete_handlers_finished>(a)) {
        completions_.complete(completion_kind::handlers_finished,
                              [this](auto done) { post(std::move(done)); });
    } else {
        driver_bug("an action this driver does not know");
    }
}

// --- Posted work ------------------------------------------------------------------

void server_impl::post(std::function<void()> fn) {
    posted_.push_back(std::move(fn));
    if (idle_state_ == handle_state::open) {
        static_cast<void>(uv_idle_start(&idle_, on_idle));
    } else if (idle_state_ == handle_state::closed) {
        open_own_handles();
    }  // closing: its close callback reopens it
}

void server_impl::on_idle(uv_idle_t* handle) {
    owner_of(reinterpret_cast<uv_handle_t*>(handle))->run_posted();
}

void server_impl::run_posted() {
    // Keeps *this alive while user code drops its last handle.
    const std::shared_ptr<server_impl> keep = shared_from_this();
    BERTH_ASSERT(running_.empty());
    if (posted_.size() <= posted_per_turn_max) {
        running_.swap(posted_);
    } else {
        const auto cut = posted_.begin() + static_cast<std::ptrdiff_t>(posted_per_turn_max);
        running_.assign(std::make_move_iterator(posted_.begin()), std::make_move_iterator(cut));
        posted_.erase(posted_.begin(), cut);
    }
    for (auto& fn : running_) {
        try {
            fn();
        } catch (...) {
            // Only user code throws here (a completion, a notice hook): it is the
            // application's error, raised as the loop's error.
            raise_on_loop(loop, std::current_exception());
        }
    }
    running_.clear();
    if (posted_.empty() && idle_state_ == handle_state::open)
        static_cast<void>(uv_idle_stop(&idle_));
    maybe_shut_down();
}

// --- The listening socket ------------------------------------------------------------

void server_impl::on_poll(uv_poll_t* handle, int, int) {
    server_impl* self = owner_of(reinterpret_cast<uv_handle_t*>(handle));
    // An error of the poll itself shows up again in accept(2), where the core
    // classifies it.
    static_cast<void>(uv_poll_stop(handle));
    if (!self->waiting_readable_) return;
    self->waiting_readable_ = false;
    self->feed(core::events::listener_readable{});
}

void server_impl::close_listener() {
    waiting_readable_ = false;
    if (poll_state_ == handle_state::open) {
        static_cast<void>(uv_poll_stop(&poll_));
        poll_state_ = handle_state::closing;
        uv_close(reinterpret_cast<uv_handle_t*>(&poll_), on_poll_closed);
    }
    // uv_close has taken the descriptor out of the loop's epoll set: closing it
    // now cannot confuse libuv. The listener removes its file if asked to.
    listen.close();
    accepting_.release_reserve();
}

void server_impl::on_poll_closed(uv_handle_t* handle) {
    server_impl* self = owner_of(handle);
    self->poll_state_ = handle_state::closed;
    self->feed(core::events::listener_closed{});
}

// --- Release and the error policy ------------------------------------------------------

void server_impl::release(const core::actions::release_connection& a) {
    const std::shared_ptr<connection> c = connections.take(a.id);
    c->released = true;
    std::exception_ptr error = c->error;
    BERTH_ASSERT(a.result == core::outcome::ok || error != nullptr);
    switch (a.policy) {
        case core::policy_action::none:
        case core::policy_action::ignore: break;
        case core::policy_action::call:
            post([self = shared_from_this(), peer = c->peer, error] {
                try {
                    self->hooks.on_handler_error(peer, error);
                } catch (...) {
                    // SEMANTICS.md 5.3: a throwing `call` closes the server first.
                    self->feed(core::events::close_requested{false, core::no_deadline_ns});
                    raise_on_loop(self->loop, std::current_exception());
                }
            });
            break;
        case core::policy_action::raise:
            // Posted: the drain finishes first; the core is already closing.
            post([l = loop, error] { raise_on_loop(l, error); });
            break;
    }
}

// --- The user's calls ------------------------------------------------------------------

void server_impl::request_close(bool close_existing, core::time_ns drain_deadline_ns) {
    feed(core::events::close_requested{close_existing, drain_deadline_ns});
}

void server_impl::add_completion(completion_kind kind, std::function<void()> done) {
    if (!done) done = [] {};
    completions_.add(kind, std::move(done), [this](auto due) { post(std::move(due)); });
}

void server_impl::set_drop(bool drop) {
    feed(core::events::drop_mode_set{drop});
}

const char* server_impl::check_invariant() const {
    if (const char* broken = driver::check_driver_invariant(
            core, waiting_readable_, driver::connections_held(connections))) {
        return broken;
    }
    if ((poll_state_ == handle_state::open) !=
        (core.listener() == core::listener_state::open ||
         core.listener() == core::listener_state::close_pending)) {
        return "the listening poll handle and the core's listener state disagree";
    }
    if (draining_) return driver::drain_in_progress;
    return nullptr;
}

}  // namespace berth::uv::detail
