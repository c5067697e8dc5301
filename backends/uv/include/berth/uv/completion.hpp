// How a libuv handler ends: it is handed a `completion` and calls finish() or
// fail() exactly once, from the loop's thread, whenever its work is over (libuv
// handlers return before their I/O is done, so returning means nothing).
#pragma once

#include <exception>
#include <memory>
#include <string>

namespace berth::uv {

namespace detail {
struct connection;
class server_impl;
}  // namespace detail

class completion {
public:
    /// The handler is done: an ok result.
    void finish() const;
    /// The handler failed with `error` (what the error policy sees).
    void fail(std::exception_ptr error) const;
    /// The handler failed with a std::runtime_error carrying `message`.
    void fail(const std::string& message) const;
    /// Whether finish or fail has been called. Later calls are ignored.
    [[nodiscard]] bool is_done() const;

    completion(std::shared_ptr<detail::server_impl> owner,
               std::shared_ptr<detail::connection> connection)
        : owner_(std::move(owner)), connection_(std::move(connection)) {}

private:
    std::shared_ptr<detail::server_impl> owner_;
    std::shared_ptr<detail::connection> connection_;
};

}  // namespace berth::uv
