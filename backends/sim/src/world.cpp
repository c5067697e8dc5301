#include "berth/sim/world.hpp"

#include <algorithm>
#include <utility>

#include "berth/core/detail/assert.hpp"
#include "berth/sim/kernel.hpp"

namespace berth::sim {

// A task the world runs for its caller (a client). Its end is noticed inside its
// final suspension, where it cannot be destroyed yet: the reaping is an event.
struct world::spawned final : detail::task_observer {
    world* owner = nullptr;
    std::uint32_t index = 0;
    task<> body;

    void on_task_done() noexcept override {
        world* w = owner;
        const std::uint32_t i = index;
        w->post(0, [w, i] { w->reap(i); });
    }
};

world::world(std::uint64_t seed, const world_config& config) : seed_(seed) {
    streams_.reserve(stream_count);
    for (int i = 0; i < stream_count; ++i)
        streams_.push_back(make_stream(seed, static_cast<stream>(i)));
    kernel_ = std::make_unique<kernel>(*this, config.kernel, config.faults);
}

// Pending events only hold raw handles and pointers; they are dropped unrun. Tasks
// and servers go next, so no suspended frame outlives what it points into.
world::~world() {
    for (const std::function<void()>& teardown : teardowns_)
        teardown();
    queue_.clear();
    actions_.clear();
    tasks_.clear();
    kept_.clear();
}

world::event_ticket world::post(time_ns delay_ns, std::function<void()> fn) {
    BERTH_ASSERT(delay_ns >= 0);
    return post_at(now_ns_ + delay_ns, std::move(fn));
}

world::event_ticket world::post_at(time_ns at_ns, std::function<void()> fn) {
    BERTH_ASSERT(at_ns >= now_ns_);
    std::uint32_t slot = 0;
    if (!free_actions_.empty()) {
        slot = free_actions_.back();
        free_actions_.pop_back();
        actions_[slot] = std::move(fn);
    } else {
        slot = static_cast<std::uint32_t>(actions_.size());
        actions_.push_back(std::move(fn));
        action_sequences_.push_back(0);
    }
    const std::uint64_t sequence = sequence_++;
    action_sequences_[slot] = sequence;
    ++live_events_;
    queue_.push_back(event_key{at_ns, sequence, slot});
    std::push_heap(queue_.begin(), queue_.end(), later{});
    return event_ticket{slot, sequence};
}

// The event stays in the queue, emptied; step() passes over it without counting it
// or moving the clock.
void world::cancel(const event_ticket& ticket) {
    if (ticket.slot < actions_.size() && action_sequences_[ticket.slot] == ticket.sequence &&
        actions_[ticket.slot] != nullptr) {
        actions_[ticket.slot] = nullptr;
        --live_events_;
    }
}

void world::drop_cancelled() {
    while (!queue_.empty() && actions_[queue_.front().slot] == nullptr) {
        std::pop_heap(queue_.begin(), queue_.end(), later{});
        const event_key e = queue_.back();
        queue_.pop_back();
        action_sequences_[e.slot] = ~0ULL;
        free_actions_.push_back(e.slot);
    }
}

void world::fail(const std::string& message) {
    if (!failure_) failure_ = message;
}

void world::raise(std::exception_ptr error) {
    BERTH_ASSERT(error != nullptr);
    pending_errors_.push_back(std::move(error));
}

void world::throw_pending() {
    if (failure_) throw check_failure(*failure_, steps_);
    if (!pending_errors_.empty()) {
        std::exception_ptr error = std::move(pending_errors_.front());
        pending_errors_.pop_front();
        std::rethrow_exception(error);
    }
}

bool world::step() {
    throw_pending();
    drop_cancelled();
    if (queue_.empty()) return false;
    std::pop_heap(queue_.begin(), queue_.end(), later{});
    const event_key e = queue_.back();
    queue_.pop_back();
    std::function<void()> fn = std::move(actions_[e.slot]);
    actions_[e.slot] = nullptr;
    action_sequences_[e.slot] = ~0ULL;
    free_actions_.push_back(e.slot);
    --live_events_;
    now_ns_ = e.at_ns;
    ++steps_;
    fn();
    for (checked* c : checked_)
        c->check_after_step();
    trace_.end_step();
    throw_pending();
    return true;
}

void world::run(std::uint64_t max_steps) {
    for (std::uint64_t i = 0; i < max_steps; ++i) {
        if (!step()) return;
    }
    fail("the world did not become idle within " + std::to_string(max_steps) + " steps");
    throw_pending();
}

bool world::run_until(const std::function<bool()>& done, time_ns timeout_ns,
                      std::uint64_t max_steps) {
    const time_ns until_ns = now_ns_ + timeout_ns;
    for (std::uint64_t i = 0; i < max_steps; ++i) {
        if (done()) return true;
        drop_cancelled();
        if (queue_.empty() || queue_.front().at_ns > until_ns) {
            now_ns_ = std::max(now_ns_, until_ns);
            return done();
        }
        step();
    }
    fail("run_until: no end within " + std::to_string(max_steps) + " steps");
    throw_pending();
    return false;
}

void world::run_for(time_ns duration_ns, std::uint64_t max_steps) {
    static_cast<void>(run_until([] { return false; }, duration_ns, max_steps));
}

void world::spawn(task<> t) {
    std::uint32_t index = 0;
    if (!free_tasks_.empty()) {
        index = free_tasks_.back();
        free_tasks_.pop_back();
    } else {
        index = static_cast<std::uint32_t>(tasks_.size());
        tasks_.push_back(nullptr);
    }
    tasks_[index] = std::make_unique<spawned>();
    spawned& s = *tasks_[index];
    s.owner = this;
    s.index = index;
    s.body = std::move(t);
    ++tasks_running_;
    s.body.start(&s, this);
}

void world::resume_after(std::coroutine_handle<> h, std::chrono::nanoseconds delay) {
    post(std::max<time_ns>(delay.count(), 0), [h] { h.resume(); });
}

world::connect_awaitable world::connect(const berth::address& a) {
    switch (a.family()) {
        case berth::address::family_type::unix_path:
            return connect("unix:" + std::string(a.unix_name()));
        case berth::address::family_type::unix_abstract:
            return connect("unix:@" + std::string(a.unix_name()));
        default: return connect(a.to_string());
    }
}

void world::reap(std::uint32_t index) {
    BERTH_ASSERT(index < tasks_.size() && tasks_[index] != nullptr);
    std::exception_ptr error = tasks_[index]->body.error();
    tasks_[index].reset();
    free_tasks_.push_back(index);
    --tasks_running_;
    if (error) raise(std::move(error));
}

void world::connect_awaitable::await_suspend(std::coroutine_handle<> h) {
    world* self = w;
    w->net().connect(address, [this, self, h](int error, std::uint32_t endpoint) {
        if (error == 0) {
            result.sock.emplace(*self, endpoint);
        } else {
            result.error = error;
        }
        h.resume();
    });
}

}  // namespace berth::sim
