// The errors raised on each loop (berth/uv/run.hpp). A libuv loop has no slot of
// its own for them (its `data` is the application's), so they are kept here, by
// loop address.
#include "berth/uv/run.hpp"

#include <deque>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace berth::uv {

namespace {

struct loop_errors {
    std::deque<std::exception_ptr> pending;
    std::function<void(std::exception_ptr)> handler;
};

std::mutex& registry_mutex() {
    static std::mutex m;
    return m;
}

std::unordered_map<uv_loop_t*, loop_errors>& registry() {
    static std::unordered_map<uv_loop_t*, loop_errors> r;
    return r;
}

void keep(uv_loop_t* loop, std::exception_ptr error) {
    {
        const std::lock_guard<std::mutex> lock(registry_mutex());
        registry()[loop].pending.push_back(std::move(error));
    }
    uv_stop(loop);
}

// The first pending error of `loop`, removed; null if none.
std::exception_ptr take(uv_loop_t* loop) {
    const std::lock_guard<std::mutex> lock(registry_mutex());
    auto it = registry().find(loop);
    if (it == registry().end() || it->second.pending.empty()) return nullptr;
    std::exception_ptr error = std::move(it->second.pending.front());
    it->second.pending.pop_front();
    if (it->second.pending.empty() && !it->second.handler) registry().erase(it);
    return error;
}

}  // namespace

int run(uv_loop_t* loop, uv_run_mode mode) {
    if (std::exception_ptr error = take(loop)) std::rethrow_exception(error);
    const int result = uv_run(loop, mode);
    if (std::exception_ptr error = take(loop)) std::rethrow_exception(error);
    return result;
}

void set_loop_error_handler(uv_loop_t* loop, std::function<void(std::exception_ptr)> handler) {
    const std::lock_guard<std::mutex> lock(registry_mutex());
    if (handler) {
        registry()[loop].handler = std::move(handler);
        return;
    }
    auto it = registry().find(loop);
    if (it == registry().end()) return;
    it->second.handler = nullptr;
    if (it->second.pending.empty()) registry().erase(it);
}

bool has_pending_error(uv_loop_t* loop) {
    const std::lock_guard<std::mutex> lock(registry_mutex());
    auto it = registry().find(loop);
    return it != registry().end() && !it->second.pending.empty();
}

void raise_on_loop(uv_loop_t* loop, std::exception_ptr error) {
    std::function<void(std::exception_ptr)> handler;
    {
        const std::lock_guard<std::mutex> lock(registry_mutex());
        auto it = registry().find(loop);
        if (it != registry().end()) handler = it->second.handler;
    }
    if (!handler) {
        keep(loop, std::move(error));
        return;
    }
    try {
        handler(std::move(error));
    } catch (...) {
        keep(loop, std::current_exception());
    }
}

void forget_loop(uv_loop_t* loop) {
    const std::lock_guard<std::mutex> lock(registry_mutex());
    registry().erase(loop);
}

}  // namespace berth::uv
