/// @file
/// A berth TCP (or Unix-domain) server on Boost.Asio: the engine every backend runs
/// (berth/engine/server.hpp) over Asio I/O. Three handler forms:
///
///   - create: the portable `berth::task<>(address, berth::reader&, berth::writer&)`,
///     the same function that runs on libuv and in the simulator;
///   - create_sock: the portable `berth::task<>(address, berth::stream&)`;
///   - create_sock with a native handler, `boost::asio::awaitable<void>(address,
///     asio::socket&)`, on the connected socket itself, so that it composes with
///     Asio's SSL, Beast and the rest. It runs on the same engine: limits, close and
///     the error policy are the same.
///
/// A handler fails by throwing. The exception is the error the policy sees: `call`
/// passes it to server_hooks::on_handler_error; `raise` rethrows it out of the run()
/// of the server's execution context (run() may be called again afterwards).
///
/// Accepting goes through berth::posix's accept call on readiness (async_wait for
/// readable), not async_accept, so the core sees every accept error and sets each
/// batch's size.
///
/// Thread safety:
///   - Distinct objects: Safe.
///   - Shared objects: Unsafe.
/// A server, its completions and its handlers run on the executor given to create.
/// Every call on the server (and on a connection's stream, reader or writer) must be
/// made from that executor: run its io_context on one thread, or, with a
/// multi-threaded io_context, create the server on a strand (make_strand(ctx)) and
/// call it only from that strand. Several servers may share one io_context.
///
/// Lifetime: `server` is a handle; copies share one server. The server lives on
/// while it listens or has connections, even when every handle is gone, as a
/// running server in Async does; close it to stop it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>

#include "berth/asio/detail/completion.hpp"
#include "berth/basic_server.hpp"
#include "berth/handler.hpp"
#include "berth/posix/listen_spec.hpp"

/// The Boost.Asio backend: berth::asio::server.
namespace berth::asio {

/// The executor a server runs on: an io_context's, or a strand of one.
using executor = boost::asio::any_io_executor;
/// A connected stream socket of any family berth listens on (TCP or Unix).
using socket = boost::asio::generic::stream_protocol::socket;
/// The native create_sock form. The socket belongs to the server: the handler uses
/// it until its awaitable ends, and must not close it.
using native_handler = std::function<boost::asio::awaitable<void>(address peer, socket& sock)>;

/// A handle to a server on an Asio executor. Copies share one server, which runs
/// on while it listens or has connections, even with no handle left.
/// Thread safety: distinct objects safe, shared objects unsafe; call every member
/// from the server's executor (its io_context's one thread, or its strand).
class server : public basic_server {
public:
    /// Validates `opts` before opening anything (creation_error), then binds and
    /// listens as `spec` says (listen_error, nothing left open), then starts
    /// accepting. `opts.max_connections` left unset means the default: 90% of the
    /// soft descriptor limit (an explicit 0 is refused). `opts.on_handler_error` is
    /// required. Call it from the executor (on its thread, or in its strand).
    /// @param ex the executor everything of the server runs on; its execution
    ///   context must outlive the server.
    /// @param spec where to listen; a socket it supplies becomes the server's.
    /// @param opts copied.
    /// @param handler called on `ex` for each connection; kept for the server's life.
    /// @param hooks kept for the server's life.
    /// @return a handle; the server runs on whether or not it is kept.
    /// @throws creation_error refused options, a missing hook or an empty handler
    ///   ("on_handler_error is call, but server_hooks::on_handler_error is not set").
    /// @throws listen_error the listening socket could not be created ("bind
    ///   127.0.0.1:80 failed: EACCES (Permission denied); ...").
    [[nodiscard]] static server create(const executor& ex, const posix::listen_spec& spec,
                                       core::options opts, reader_writer_handler handler,
                                       server_hooks hooks = {});
    /// create with the portable stream form.
    /// @param ex as for create.
    /// @param spec as for create.
    /// @param opts as for create.
    /// @param handler called on `ex` for each connection with its stream.
    /// @param hooks as for create.
    /// @return a handle.
    /// @throws creation_error as create.
    /// @throws listen_error as create.
    [[nodiscard]] static server create_sock(const executor& ex, const posix::listen_spec& spec,
                                            core::options opts, stream_handler handler,
                                            server_hooks hooks = {});
    /// create with the native form: the handler's awaitable is spawned on `ex`
    /// with the connected socket.
    /// @param ex as for create.
    /// @param spec as for create.
    /// @param opts as for create.
    /// @param handler called on `ex` for each connection; an exception out of its
    ///   awaitable is the connection's error.
    /// @param hooks as for create.
    /// @return a handle.
    /// @throws creation_error as create.
    /// @throws listen_error as create.
    [[nodiscard]] static server create_sock(const executor& ex, const posix::listen_spec& spec,
                                            core::options opts, native_handler handler,
                                            server_hooks hooks = {});
    /// create on `ctx.get_executor()`.
    /// @param ctx must outlive the server.
    /// @param spec as for create.
    /// @param opts as for create.
    /// @param handler as for create.
    /// @param hooks as for create.
    /// @return a handle.
    /// @throws creation_error as create.
    /// @throws listen_error as create.
    [[nodiscard]] static server create(boost::asio::io_context& ctx, const posix::listen_spec& spec,
                                       core::options opts, reader_writer_handler handler,
                                       server_hooks hooks = {}) {
        return create(ctx.get_executor(), spec, opts, std::move(handler), std::move(hooks));
    }
    /// create_sock (stream form) on `ctx.get_executor()`.
    /// @param ctx must outlive the server.
    /// @param spec as for create.
    /// @param opts as for create.
    /// @param handler as for create_sock.
    /// @param hooks as for create.
    /// @return a handle.
    /// @throws creation_error as create.
    /// @throws listen_error as create.
    [[nodiscard]] static server create_sock(boost::asio::io_context& ctx,
                                            const posix::listen_spec& spec, core::options opts,
                                            stream_handler handler, server_hooks hooks = {}) {
        return create_sock(ctx.get_executor(), spec, opts, std::move(handler), std::move(hooks));
    }
    /// create_sock (native form) on `ctx.get_executor()`.
    /// @param ctx must outlive the server.
    /// @param spec as for create.
    /// @param opts as for create.
    /// @param handler as for the native create_sock.
    /// @param hooks as for create.
    /// @return a handle.
    /// @throws creation_error as create.
    /// @throws listen_error as create.
    [[nodiscard]] static server create_sock(boost::asio::io_context& ctx,
                                            const posix::listen_spec& spec, core::options opts,
                                            native_handler handler, server_hooks hooks = {}) {
        return create_sock(ctx.get_executor(), spec, opts, std::move(handler), std::move(hooks));
    }

    /// Starts closing now, whatever the token (SEMANTICS.md section 8): is_closed()
    /// is true and no handler starts once this returns. Completes, signature
    /// void(), when the listening socket (and, with close_existing_connections, every
    /// connection present then) is closed. Idempotent: later calls complete with
    /// the first one's completion; a later `true` still closes the connections.
    ///
    /// The completion handler is never invoked from inside this function: it is
    /// posted to its associated executor (the server's by default) once the close is
    /// done, and keeps that executor's work count up until then, so run() does not
    /// return under a coroutine awaiting it.
    /// @param close_existing_connections also close every connection present now.
    /// @param token any Asio completion token: a callback, use_awaitable,
    ///   use_future, deferred.
    /// @return what the token makes of it (void for a callback).
    template <typename CompletionToken>
    auto close(bool close_existing_connections, CompletionToken&& token) {
        start_close(close_existing_connections, std::chrono::nanoseconds::max());
        return wait_for(engine::completion_kind::close, std::forward<CompletionToken>(token));
    }

    /// close(false) with a graceful drain: connections still open `drain_timeout`
    /// from now are closed as with close_existing_connections. Throws creation_error
    /// for a negative timeout.
    /// @param drain_timeout how long connections may still finish on their own.
    /// @param token as for close(); its handler runs as close()'s does.
    /// @return what the token makes of it.
    /// @throws creation_error "close_with_drain: the drain timeout must not be
    ///   negative (got N ns)", before anything changes and before the token is used.
    template <typename CompletionToken>
    auto close_with_drain(std::chrono::nanoseconds drain_timeout, CompletionToken&& token) {
        start_close(false, drain_timeout);
        return wait_for(engine::completion_kind::close, std::forward<CompletionToken>(token));
    }

    /// The first close()'s completion, without starting a close. Posted at once (to
    /// the handler's executor) if the close has completed already.
    /// @param token as for close().
    /// @return what the token makes of it.
    template <typename CompletionToken>
    auto close_finished(CompletionToken&& token) {
        return wait_for(engine::completion_kind::close, std::forward<CompletionToken>(token));
    }

    /// Completes when the listening socket is closed and no connection remains;
    /// posted as close()'s completion is, at once if that is so already.
    /// @param token as for close().
    /// @return what the token makes of it.
    template <typename CompletionToken>
    auto handlers_finished(CompletionToken&& token) {
        return wait_for(engine::completion_kind::handlers_finished,
                        std::forward<CompletionToken>(token));
    }

    /// The native listening socket, -1 once closed. Accepting on it directly
    /// bypasses the server's limits and error policy.
    [[nodiscard]] int listening_socket() const;
    /// The executor given at creation.
    [[nodiscard]] executor get_executor() const;

private:
    using basic_server::basic_server;
    void start_close(bool close_existing_connections, std::chrono::nanoseconds drain_timeout);

    template <typename CompletionToken>
    auto wait_for(engine::completion_kind kind, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, void()>(
            detail::initiate_wait{engine_, kind}, token);
    }
};

}  // namespace berth::asio
