// libuv's primitives (io.hpp). Nothing may be thrown through libuv's C frames: a
// raised error goes to berth::uv::run through the loop's registry (run.cpp), and a
// broken contract stops the process with its message.
#include "io.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <system_error>

#include "berth/core/detail/assert.hpp"
#include "berth/engine/connection.hpp"

namespace berth::uv::detail {

namespace {

// Posted work run per idle callback, so that work posting work cannot starve I/O.
constexpr std::size_t posted_per_turn_max = 4096;

uv_io* owner_of(const uv_handle_t* handle) {
    return static_cast<uv_io*>(handle->data);
}

}  // namespace

std::unique_ptr<engine::stream_io> make_stream(uv_io& io, engine::connection& c, int fd,
                                               bool native);
uv_stream_t* uv_stream_of(engine::stream_io& s);

// The poll handle is opened here, so that a failure leaves nothing registered with
// the loop; the engine is held from the first wait on it.
uv_io::uv_io(uv_loop_t* loop, posix::listener l, native_handler native)
    : socket_io(std::move(l)), loop_(loop), native_(std::move(native)) {
    const int rc = uv_poll_init_socket(loop_, &poll_, listening().fd());
    if (rc != 0) {
        throw std::system_error(-rc, std::generic_category(),
                                "cannot watch the listening socket with uv_poll");
    }
    poll_.data = this;
    poll_state_ = handle_state::open;
}

uv_io::~uv_io() {
    // Every own handle was closed before the last reference went (keep_).
    BERTH_ASSERT(poll_state_ == handle_state::closed);
    BERTH_ASSERT(timer_state_ == handle_state::closed);
    BERTH_ASSERT(idle_state_ == handle_state::closed);
}

void uv_io::open_own_handles() {
    if (!keep_) keep_ = engine().self();
    if (timer_state_ == handle_state::closed) {
        static_cast<void>(uv_timer_init(loop_, &timer_));  // cannot fail on Linux
        timer_.data = this;
        timer_state_ = handle_state::open;
    }
    if (idle_state_ == handle_state::closed) {
        static_cast<void>(uv_idle_init(loop_, &idle_));
        idle_.data = this;
        idle_state_ = handle_state::open;
        if (!posted_.empty()) static_cast<void>(uv_idle_start(&idle_, on_idle));
    }
}

// Once the server has finished and nothing is posted, the own handles close so that
// the loop can end.
void uv_io::maybe_shut_down() {
    if (!engine().core().handlers_finished() || !posted_.empty() || !running_.empty()) return;
    if (timer_state_ == handle_state::open) {
        timer_state_ = handle_state::closing;
        uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_own_handle_closed);
    }
    if (idle_state_ == handle_state::open) {
        idle_state_ = handle_state::closing;
        uv_close(reinterpret_cast<uv_handle_t*>(&idle_), on_own_handle_closed);
    }
}

void uv_io::on_own_handle_closed(uv_handle_t* handle) {
    uv_io* self = owner_of(handle);
    if (handle == reinterpret_cast<uv_handle_t*>(&self->timer_)) {
        self->timer_state_ = handle_state::closed;
    } else if (handle == reinterpret_cast<uv_handle_t*>(&self->idle_)) {
        self->idle_state_ = handle_state::closed;
        if (!self->posted_.empty()) self->open_own_handles();  // posted while closing
    } else {
        self->poll_state_ = handle_state::closed;
    }
    const bool all_closed = self->poll_state_ == handle_state::closed &&
                            self->timer_state_ == handle_state::closed &&
                            self->idle_state_ == handle_state::closed;
    if (all_closed) {
        // May destroy *self: nothing is touched after this.
        const std::shared_ptr<engine::server> last = std::move(self->keep_);
    }
}

void uv_io::post(std::function<void()> fn) {
    posted_.push_back(std::move(fn));
    if (idle_state_ == handle_state::open) {
        static_cast<void>(uv_idle_start(&idle_, on_idle));
    } else if (idle_state_ == handle_state::closed) {
        open_own_handles();
    }  // closing: its close callback reopens it
}

void uv_io::on_idle(uv_idle_t* handle) {
    owner_of(reinterpret_cast<uv_handle_t*>(handle))->run_posted();
}

void uv_io::run_posted() {
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
            raise_on_loop(loop_, std::current_exception());
        }
    }
    running_.clear();
    if (posted_.empty() && idle_state_ == handle_state::open)
        static_cast<void>(uv_idle_stop(&idle_));
    maybe_shut_down();
}

// libuv's timers count from its cached loop time in ms: it is refreshed and the
// delay rounded up. An early fire is harmless anyway: the engine compares with its
// deadlines.
void uv_io::arm_timer(core::time_ns deadline_ns) {
    if (deadline_ns == core::no_deadline_ns) {
        if (timer_state_ == handle_state::open) static_cast<void>(uv_timer_stop(&timer_));
        return;
    }
    if (timer_state_ != handle_state::open) open_own_handles();
    BERTH_ASSERT(timer_state_ == handle_state::open);
    uv_update_time(loop_);
    const core::time_ns left_ns = deadline_ns - now_ns();
    const auto delay_ms =
        left_ns <= 0
            ? 0
            : static_cast<std::uint64_t>((left_ns + core::ns_per_ms - 1) / core::ns_per_ms);
    static_cast<void>(uv_timer_start(&timer_, on_timer, delay_ms, 0));
}

void uv_io::on_timer(uv_timer_t* handle) {
    owner_of(reinterpret_cast<uv_handle_t*>(handle))->engine().on_timer();
}

void uv_io::raise(std::exception_ptr error) {
    post([l = loop_, error] { raise_on_loop(l, error); });
}

void uv_io::contract_violation(const std::string& what) {
    std::fprintf(stderr, "berth uv: contract violation: %s\n", what.c_str());
    std::abort();
}

void uv_io::wait_readable() {
    BERTH_ASSERT(poll_state_ == handle_state::open && !waiting_readable_);
    waiting_readable_ = true;
    if (!keep_) keep_ = engine().self();
    static_cast<void>(uv_poll_start(&poll_, UV_READABLE, on_poll));
}

void uv_io::on_poll(uv_poll_t* handle, int, int) {
    uv_io* self = owner_of(reinterpret_cast<uv_handle_t*>(handle));
    // An error of the poll itself shows up again in accept(2), where the core
    // classifies it.
    static_cast<void>(uv_poll_stop(handle));
    self->waiting_readable_ = false;
    self->engine().on_listener_readable();
}

void uv_io::close_listener() {
    waiting_readable_ = false;
    if (poll_state_ == handle_state::open) {
        static_cast<void>(uv_poll_stop(&poll_));
        poll_state_ = handle_state::closing;
        uv_close(reinterpret_cast<uv_handle_t*>(&poll_), on_poll_closed);
    }
    // uv_close has taken the descriptor out of the loop's epoll set: closing it now
    // cannot confuse libuv. The listener removes its file if asked to.
    close_listening_socket();
}

void uv_io::on_poll_closed(uv_handle_t* handle) {
    uv_io* self = owner_of(handle);
    self->poll_state_ = handle_state::closed;
    self->engine().on_listener_closed();
    on_own_handle_closed(handle);
}

std::unique_ptr<engine::stream_io> uv_io::adopt(engine::connection& c, core::socket_handle socket) {
    return make_stream(*this, c, static_cast<int>(socket), static_cast<bool>(native_));
}

void uv_io::start_native_handler(engine::connection& c) {
    const completion done(engine().self(), c.id());
    try {
        native_(c.peer(), uv_stream_of(*c.io()), done);
    } catch (...) {
        done.fail(std::current_exception());  // an extra completion if it completed first
    }
}

const char* uv_io::check_invariant() const {
    const core::listener_state l = engine().core().listener();
    const bool listening =
        l == core::listener_state::open || l == core::listener_state::close_pending;
    if ((poll_state_ == handle_state::open) != listening) {
        return "the listening poll handle and the core's listener state disagree";
    }
    return nullptr;
}

}  // namespace berth::uv::detail

namespace berth::uv {

void completion::finish() const {
    owner_->on_native_handler_done(id_, nullptr);
}

void completion::fail(std::exception_ptr error) const {
    if (error == nullptr) {
        error = std::make_exception_ptr(std::runtime_error("handler failed without an error"));
    }
    owner_->on_native_handler_done(id_, std::move(error));
}

void completion::fail(const std::string& message) const {
    fail(std::make_exception_ptr(std::runtime_error(message)));
}

}  // namespace berth::uv
