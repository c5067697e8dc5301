/// @file
/// How a native libuv handler ends: it is handed a `completion` and calls finish()
/// or fail() once, from the loop's thread, whenever its work is over (libuv handlers
/// return before their I/O is done, so returning means nothing). A second call is
/// an `extra_completion` notice, nothing more.
#pragma once

#include <exception>
#include <memory>
#include <string>

#include "berth/core/types.hpp"

namespace berth::engine {
class server;
}  // namespace berth::engine

namespace berth::uv {

class completion {
public:
    completion(std::shared_ptr<engine::server> owner, core::connection_id id)
        : owner_(std::move(owner)), id_(id) {}

    /// The handler is done: an ok result.
    void finish() const;
    /// The handler failed with `error` (what the error policy sees).
    void fail(std::exception_ptr error) const;
    /// The handler failed with a std::runtime_error carrying `message`.
    void fail(const std::string& message) const;

private:
    std::shared_ptr<engine::server> owner_;
    core::connection_id id_;
};

}  // namespace berth::uv
