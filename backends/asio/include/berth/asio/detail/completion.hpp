// The stored completion of close(), close_finished() and handlers_finished():
// whatever handler the user's completion token produced (a callback, a coroutine's
// resumption, a promise), kept until the core says the operation is done.
#pragma once

#include <memory>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

namespace berth::asio::detail {

class pending_completion {
public:
    pending_completion() = default;
    pending_completion(const pending_completion&) = delete;
    pending_completion& operator=(const pending_completion&) = delete;
    virtual ~pending_completion() = default;

    /// Posts the handler to its associated executor: a completion never runs
    /// inside the call that made it due.
    virtual void complete() = 0;
};

// Keeps the handler's executor busy while it waits, as Asio's own operations do, so
// that run() does not return under a coroutine awaiting close() or a future's promise.
template <typename Handler>
class pending_completion_of final : public pending_completion {
public:
    pending_completion_of(Handler handler, const boost::asio::any_io_executor& fallback)
        : handler_(std::move(handler)),
          work_(boost::asio::prefer(boost::asio::any_io_executor(
                                        boost::asio::get_associated_executor(handler_, fallback)),
                                    boost::asio::execution::outstanding_work.tracked)) {}

    void complete() override {
        boost::asio::any_io_executor work = std::move(work_);
        boost::asio::post(work, std::move(handler_));
    }

private:
    Handler handler_;
    boost::asio::any_io_executor work_;
};

template <typename Handler>
[[nodiscard]] std::unique_ptr<pending_completion> make_pending_completion(
    Handler&& handler, const boost::asio::any_io_executor& fallback) {
    return std::make_unique<pending_completion_of<std::decay_t<Handler>>>(
        std::forward<Handler>(handler), fallback);
}

}  // namespace berth::asio::detail
