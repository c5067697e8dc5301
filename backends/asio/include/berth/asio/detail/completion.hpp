// The stored completion of close(), close_finished() and handlers_finished():
// whatever handler the user's completion token produced (a callback, a coroutine's
// resumption, a promise), kept by the engine until the core says the operation is
// done, then posted to the handler's associated executor.
#pragma once

#include <memory>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include "berth/engine/server.hpp"

namespace berth::asio::detail {

// Keeps the handler's executor busy while it waits, as Asio's own operations do, so
// that run() does not return under a coroutine awaiting close() or a future's promise.
template <typename Handler>
class pending_completion final : public engine::completion {
public:
    pending_completion(Handler handler, const boost::asio::any_io_executor& fallback)
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

/// Registers `completion` with the server's engine, on the server's executor.
void register_completion(const std::shared_ptr<engine::server>& e, engine::completion_kind kind,
                         std::unique_ptr<engine::completion> completion);
[[nodiscard]] boost::asio::any_io_executor executor_of(const engine::server& e);

struct initiate_wait {
    std::shared_ptr<engine::server> e;
    engine::completion_kind kind;

    template <typename Handler>
    void operator()(Handler&& handler) const {
        using stored = pending_completion<std::decay_t<Handler>>;
        register_completion(
            e, kind, std::make_unique<stored>(std::forward<Handler>(handler), executor_of(*e)));
    }
};

}  // namespace berth::asio::detail
