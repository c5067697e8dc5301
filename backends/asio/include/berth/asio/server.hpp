// A berth TCP (or Unix-domain) server on Boost.Asio: the core's state machine
// (berth/core/server.hpp) driven by Asio I/O, in two forms, as Async's Tcp.Server:
//
//   - create_sock: the handler gets the peer address and the connected socket;
//   - create: the handler gets the peer address, a reader and a buffered writer
//     (berth/asio/stream.hpp) that flushes in the background and enforces
//     buffer_age_limit.
//
// A handler returns boost::asio::awaitable<void> and fails by throwing. The
// exception is the error the policy sees: `call` passes it to
// server_hooks::on_handler_error; `raise` rethrows it out of the run() of the
// server's execution context (run() may be called again afterwards).
//
// Accepting goes through berth::posix's accept batch on readiness (async_wait for
// readable), not async_accept, so the core sees every accept error and sets each
// batch's size.
//
// Thread safety:
//   Distinct objects: Safe.
//   Shared objects: Unsafe.
// A server, its completions and its handlers run on the executor given to create.
// Every call on the server (and on a connection's socket, reader or writer) must
// be made from that executor: run its io_context on one thread, or, with a
// multi-threaded io_context, create the server on a strand (make_strand(ctx)) and
// call it only from that strand. Several servers may share one io_context.
//
// Lifetime: `server` is a handle; copies share one server. The server lives on
// while it listens or has connections, even when every handle is gone, as a
// running server in Async does; close it to stop it.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <iosfwd>
#include <memory>
#include <system_error>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>

#include "berth/asio/detail/completion.hpp"
#include "berth/asio/stream.hpp"
#include "berth/core/action.hpp"
#include "berth/core/options.hpp"
#include "berth/core/statistics.hpp"
#include "berth/driver/completion_book.hpp"
#include "berth/driver/errors.hpp"
#include "berth/driver/server_hooks.hpp"
#include "berth/posix/listen_spec.hpp"
#include "berth/posix/listener.hpp"
#include "berth/posix/socket_address.hpp"

namespace berth::asio {

using executor = boost::asio::any_io_executor;
/// A connected stream socket of any family berth listens on (TCP or Unix).
using socket = boost::asio::generic::stream_protocol::socket;

using sock_handler =
    std::function<boost::asio::awaitable<void>(posix::socket_address peer, socket& sock)>;
using stream_handler =
    std::function<boost::asio::awaitable<void>(posix::socket_address peer, reader& r, writer& w)>;

/// The user's hooks (berth/driver/server_hooks.hpp). Here `on_handler_error` runs
/// on the server's executor; if it throws, the server starts closing (without
/// closing existing connections) and the exception propagates out of run().
using server_hooks = driver::server_hooks;

/// The options were refused (nothing was opened), or a required hook is missing.
using creation_error = driver::creation_error;

/// Raised out of run() when accept fails in a way the server cannot recover from
/// (EBADF, EINVAL, ...): the server has stopped accepting and closed its socket.
using accept_error = driver::accept_error;

namespace detail {

class server_impl;

using completion_kind = driver::completion_kind;

/// Registers `completion` on the server's executor; completes it at once (posted)
/// if the operation is already done.
void register_completion(const std::shared_ptr<server_impl>& impl, completion_kind kind,
                         std::unique_ptr<pending_completion> completion);
[[nodiscard]] executor executor_of(const server_impl& impl);

struct initiate_wait {
    std::shared_ptr<server_impl> impl;
    completion_kind kind;

    template <typename Handler>
    void operator()(Handler&& handler) const {
        register_completion(
            impl, kind,
            make_pending_completion(std::forward<Handler>(handler), executor_of(*impl)));
    }
};

}  // namespace detail

class server {
public:
    /// Validates `opts` before opening anything (creation_error), then binds and
    /// listens as `spec` says (posix::listen_error, nothing left open), then starts
    /// accepting. `opts.max_connections` left unset means the default: 90% of the
    /// soft descriptor limit (an explicit 0 is refused). `opts.on_handler_error` is
    /// required.
    [[nodiscard]] static server create_sock(const executor& ex, const posix::listen_spec& spec,
                                            core::options opts, sock_handler handler,
                                            server_hooks hooks = {});
    [[nodiscard]] static server create(const executor& ex, const posix::listen_spec& spec,
                                       core::options opts, stream_handler handler,
                                       server_hooks hooks = {});
    [[nodiscard]] static server create_sock(boost::asio::io_context& ctx,
                                            const posix::listen_spec& spec, core::options opts,
                                            sock_handler handler, server_hooks hooks = {}) {
        return create_sock(ctx.get_executor(), spec, opts, std::move(handler), std::move(hooks));
    }
    [[nodiscard]] static server create(boost::asio::io_context& ctx, const posix::listen_spec& spec,
                                       core::options opts, stream_handler handler,
                                       server_hooks hooks = {}) {
        return create(ctx.get_executor(), spec, opts, std::move(handler), std::move(hooks));
    }

    /// Starts closing now, whatever the token (SEMANTICS.md section 8): is_closed()
    /// is true and no handler starts once this returns. Completes, signature
    /// void(), when the listening socket (and, with close_existing_connections, every
    /// connection present then) is closed. Idempotent: later calls complete with
    /// the first one's completion; a later `true` still closes the connections.
    template <typename CompletionToken>
    auto close(bool close_existing_connections, CompletionToken&& token) {
        start_close(close_existing_connections, std::chrono::nanoseconds::max());
        return wait_for(detail::completion_kind::close, std::forward<CompletionToken>(token));
    }

    /// close(false) with a graceful drain: connections still open after
    /// `drain_timeout` are closed as with close_existing_connections.
    template <typename CompletionToken>
    auto close_with_drain(std::chrono::nanoseconds drain_timeout, CompletionToken&& token) {
        start_close(false, drain_timeout);
        return wait_for(detail::completion_kind::close, std::forward<CompletionToken>(token));
    }

    /// The first close()'s completion, without starting a close.
    template <typename CompletionToken>
    auto close_finished(CompletionToken&& token) {
        return wait_for(detail::completion_kind::close, std::forward<CompletionToken>(token));
    }

    /// Completes when the listening socket is closed and no connection remains.
    template <typename CompletionToken>
    auto handlers_finished(CompletionToken&& token) {
        return wait_for(detail::completion_kind::handlers_finished,
                        std::forward<CompletionToken>(token));
    }

    [[nodiscard]] std::uint32_t num_connections() const;
    [[nodiscard]] bool is_closed() const;
    /// Computed at creation; valid after close.
    [[nodiscard]] const posix::listen_endpoint& listening_on() const;
    /// Asks the socket; throws std::logic_error once it is closed.
    [[nodiscard]] posix::socket_address listening_on_address() const;
    /// The native listening socket, -1 once closed. Accepting on it directly
    /// bypasses the server's limits and error policy.
    [[nodiscard]] int listening_socket() const;
    void set_drop_incoming_connections(bool drop);
    [[nodiscard]] bool is_dropping_incoming_connections() const;
    /// The core's invariants (SEMANTICS.md section 9) and the driver's own.
    [[nodiscard]] bool invariant() const;
    /// nullptr when every invariant holds, else the first broken one.
    [[nodiscard]] const char* check_invariant() const;
    [[nodiscard]] const core::statistics& stats() const;
    [[nodiscard]] const core::options& options() const;
    [[nodiscard]] executor get_executor() const;

    /// Tests only: the next `count` accept attempts fail with `error_value` without
    /// touching the kernel (posix::accept_faults). Successive calls queue.
    void inject_accept_faults(int error_value, std::uint32_t count);

    /// The description: listening_on, options, policy, connections (id and peer),
    /// accept step, drop mode, closed state, statistics.
    friend std::ostream& operator<<(std::ostream& os, const server& s);
    void write_json(std::ostream& os) const;

private:
    explicit server(std::shared_ptr<detail::server_impl> impl) : impl_(std::move(impl)) {}
    void start_close(bool close_existing_connections, std::chrono::nanoseconds drain_timeout);

    template <typename CompletionToken>
    auto wait_for(detail::completion_kind kind, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, void()>(
            detail::initiate_wait{impl_, kind}, token);
    }

    std::shared_ptr<detail::server_impl> impl_;
};

}  // namespace berth::asio
