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

/// The libuv backend: berth::uv::server, and berth::uv::run to receive its errors.
namespace berth::uv {

/// Copyable: a copy may go into each libuv callback's data. It keeps the server's
/// engine alive, so it may outlive the connection: a call after the connection is
/// released is an extra completion, a notice.
class completion {
public:
    /// Made by the server for each native handler.
    /// @param owner the engine; shared.
    /// @param id the connection.
    completion(std::shared_ptr<engine::server> owner, core::connection_id id)
        : owner_(std::move(owner)), id_(id) {}

    /// The handler is done: an ok result.
    void finish() const;
    /// The handler failed with `error` (what the error policy sees).
    /// @param error not null.
    void fail(std::exception_ptr error) const;
    /// The handler failed with a std::runtime_error carrying `message`.
    /// @param message copied.
    void fail(const std::string& message) const;

private:
    std::shared_ptr<engine::server> owner_;
    core::connection_id id_;
};

}  // namespace berth::uv
