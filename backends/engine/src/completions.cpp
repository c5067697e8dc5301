// The waiters of close() and handlers_finished(). A waiter registered after its
// operation completed is completed at once; either way its callback runs later on
// the loop (completion::complete posts), never inside the call that registered it
// or made it due.
#include <utility>

#include "berth/engine/server.hpp"

namespace berth::engine {

namespace {

class posted final : public completion {
public:
    posted(io& loop, std::function<void()> fn) : loop_(&loop), fn_(std::move(fn)) {}
    void complete() override {
        if (fn_) loop_->post(std::move(fn_));
    }

private:
    io* loop_;
    std::function<void()> fn_;
};

}  // namespace

std::unique_ptr<completion> posted_completion(io& loop, std::function<void()> fn) {
    return std::make_unique<posted>(loop, std::move(fn));
}

void server::add_completion(completion_kind kind, std::unique_ptr<completion> c) {
    const auto i = static_cast<std::size_t>(kind);
    if (completed_[i]) {
        c->complete();
        return;
    }
    waiters_[i].push_back(std::move(c));
}

void server::complete(completion_kind kind) {
    const auto i = static_cast<std::size_t>(kind);
    completed_[i] = true;
    std::vector<std::unique_ptr<completion>> due = std::move(waiters_[i]);
    waiters_[i].clear();
    for (const std::unique_ptr<completion>& c : due)
        c->complete();
}

void server::execute(const core::actions::complete_close&) {
    complete(completion_kind::close);
}

void server::execute(const core::actions::complete_handlers_finished&) {
    complete(completion_kind::handlers_finished);
}

}  // namespace berth::engine
