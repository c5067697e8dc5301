/// @file
/// A berth TCP (or Unix-domain) server on a libuv loop the application owns: the
/// engine every backend runs (berth/engine/server.hpp) over libuv. Three handler
/// forms:
///
///   - create: the portable `berth::task<>(address, berth::reader&, berth::writer&)`,
///     the same function that runs on Asio and in the simulator;
///   - create_sock: the portable `berth::task<>(address, berth::stream&)`;
///   - create_sock with a native handler, `void(address, uv_stream_t*, completion)`:
///     libuv callbacks on the connected stream (a uv_tcp_t or uv_pipe_t), for code
///     written against libuv. It ends by calling completion::finish() or fail();
///     an exception thrown synchronously from it is a failure.
///
/// A portable handler fails by throwing. The error policy sees the error: `call`
/// passes it to server_hooks::on_handler_error; `raise` raises it on the loop
/// (berth/uv/run.hpp: out of berth::uv::run, or to the loop's error handler).
///
/// Accepting goes through a uv_poll_t on the listening socket and berth::posix's
/// non-blocking accept, then uv_tcp_open / uv_pipe_open per socket; never uv_listen,
/// whose accept behaviour and error reporting differ between libuv versions.
///
/// The native form's stream belongs to the server: the handler may read, write and
/// shut it down, but must not uv_close it, and must stop using it once it has
/// completed. When the server closes a connection whose native handler is still
/// running (close_existing_connections), it shuts the socket down first: the
/// handler's read callback sees UV_EOF and its writes fail, and the handle is closed
/// once the handler completes (or after final_flush_timeout at the latest). libuv
/// calls no read callback when a handle is closed, so closing at once would leave a
/// reading handler waiting forever.
///
/// Thread safety:
///   - Distinct objects: Safe.
///   - Shared objects: Unsafe.
/// Everything runs on the loop's thread; every call must be made there.
///
/// Lifetime: `server` is a handle; copies share one server. The server lives on
/// while it listens or has connections, even when every handle is gone; close it
/// to stop it. Once closed and its handlers finished, it closes its own libuv
/// handles, so that uv_run returns and uv_loop_close succeeds.
#pragma once

#include <functional>

#include <uv.h>

#include "berth/basic_server.hpp"
#include "berth/handler.hpp"
#include "berth/posix/listen_spec.hpp"
#include "berth/uv/completion.hpp"
#include "berth/uv/run.hpp"

namespace berth::uv {

/// The native create_sock form; see the file's description for who owns the stream.
using native_handler =
    std::function<void(const address& peer, uv_stream_t* stream, completion done)>;

/// A handle to a server on a libuv loop. Copies share one server, which runs on
/// while it listens or has connections, even with no handle left. Its close
/// callbacks (callback_server) run from the loop, never inside the call.
/// Thread safety: distinct objects safe, shared objects unsafe; call every member
/// on the loop's thread.
class server : public callback_server {
public:
    /// Validates `opts` before opening anything (creation_error), then binds and
    /// listens as `spec` says (listen_error, nothing left open), then starts
    /// accepting on `loop`. `opts.max_connections` left unset means the default: 90%
    /// of the soft descriptor limit (an explicit 0 is refused). `opts.on_handler_error`
    /// is required. Call it on the loop's thread.
    /// @param loop must outlive the server: run it until the server's handles are
    ///   closed (after close and handlers_finished) before uv_loop_close.
    /// @param spec where to listen; a socket it supplies becomes the server's.
    /// @param opts copied.
    /// @param handler called on the loop for each connection; kept for the server's
    ///   life.
    /// @param hooks kept for the server's life.
    /// @return a handle; the server runs on whether or not it is kept.
    /// @throws creation_error refused options, a missing hook or an empty handler.
    /// @throws listen_error the listening socket could not be created.
    [[nodiscard]] static server create(uv_loop_t* loop, const posix::listen_spec& spec,
                                       core::options opts, reader_writer_handler handler,
                                       server_hooks hooks = {});
    /// create with the portable stream form.
    /// @param loop as for create.
    /// @param spec as for create.
    /// @param opts as for create.
    /// @param handler called on the loop for each connection with its stream.
    /// @param hooks as for create.
    /// @return a handle.
    /// @throws creation_error as create.
    /// @throws listen_error as create.
    [[nodiscard]] static server create_sock(uv_loop_t* loop, const posix::listen_spec& spec,
                                            core::options opts, stream_handler handler,
                                            server_hooks hooks = {});
    /// create with the native form: libuv callbacks on the connected stream.
    /// @param loop as for create.
    /// @param spec as for create.
    /// @param opts as for create.
    /// @param handler called on the loop for each connection; it ends by calling
    ///   its completion, and an exception thrown from the call itself is a failure.
    /// @param hooks as for create.
    /// @return a handle.
    /// @throws creation_error as create.
    /// @throws listen_error as create.
    [[nodiscard]] static server create_sock(uv_loop_t* loop, const posix::listen_spec& spec,
                                            core::options opts, native_handler handler,
                                            server_hooks hooks = {});

    /// The native listening socket, -1 once closed. Accepting on it directly
    /// bypasses the server's limits and error policy.
    [[nodiscard]] int listening_socket() const;
    /// The loop given at creation.
    [[nodiscard]] uv_loop_t* loop() const;

private:
    using callback_server::callback_server;
};

}  // namespace berth::uv
