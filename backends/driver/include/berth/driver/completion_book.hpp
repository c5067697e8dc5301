// The waiters of close() and handlers_finished(), and whether each operation has
// completed. The book says which waiters are due; running them ("never inside the
// call that registered or caused them") is each loop's own mechanism, passed in as
// `run`.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace berth::driver {

enum class completion_kind : std::uint8_t { close, handlers_finished };

template <typename Waiter>
class completion_book {
public:
    /// Keeps `waiter` until `kind` completes; if it already has, hands it to `run`.
    template <typename Run>
    void add(completion_kind kind, Waiter waiter, Run&& run) {
        const auto i = static_cast<std::size_t>(kind);
        if (done_[i]) {
            run(std::move(waiter));
            return;
        }
        waiters_[i].push_back(std::move(waiter));
    }

    /// Marks `kind` completed and hands its waiters to `run`, in registration order.
    /// A waiter added by `run` finds `kind` completed and is run at once.
    template <typename Run>
    void complete(completion_kind kind, Run&& run) {
        const auto i = static_cast<std::size_t>(kind);
        done_[i] = true;
        std::vector<Waiter> due = std::move(waiters_[i]);
        waiters_[i].clear();
        for (auto& waiter : due)
            run(std::move(waiter));
    }

    [[nodiscard]] bool completed(completion_kind kind) const {
        return done_[static_cast<std::size_t>(kind)];
    }

private:
    std::array<bool, 2> done_{};
    std::array<std::vector<Waiter>, 2> waiters_;
};

}  // namespace berth::driver
