// A berth TCP (or Unix-domain) server on a libuv loop the application owns: the
// core's state machine (berth/core/server.hpp) driven by libuv, in two forms, as
// Async's Tcp.Server:
//
//   - create_sock: the handler gets the peer address, the connected stream
//     (a uv_tcp_t or uv_pipe_t, as uv_stream_t*) and a completion;
//   - create: the handler gets the peer address, a reader, a buffered writer
//     (berth/uv/stream.hpp) and a completion.
//
// A handler ends by calling completion::finish() or completion::fail() once; an
// exception thrown synchronously from the handler is a failure. The error policy
// sees the error: `call` passes it to server_hooks::on_handler_error; `raise`
// raises it on the loop (berth/uv/run.hpp: out of berth::uv::run, or to the
// loop's error handler).
//
// Accepting goes through a uv_poll_t on the listening socket and berth::posix's
// non-blocking accept batch, then uv_tcp_open / uv_pipe_open per socket; never
// uv_listen, whose accept behaviour and error reporting differ between libuv
// versions.
//
// The stream of create_sock belongs to the server: the handler may read, write
// and shut it down, but must not uv_close it, and must stop using it once it has
// completed. When the server closes a connection whose handler is still running
// (close_existing_connections), it shuts the socket down first: the handler's
// read callback sees UV_EOF and its writes fail, and the handle is closed once
// the handler completes (or after final_flush_timeout at the latest). libuv
// calls no read callback when a handle is closed, so closing at once would leave
// a reading handler waiting forever.
//
// Callbacks of close, close_finished and handlers_finished, notices and the
// `call` policy run later on the loop, never inside the call that registered or
// caused them.
//
// Thread safety:
//   Distinct objects: Safe.
//   Shared objects: Unsafe.
// Everything runs on the loop's thread; every call must be made there.
//
// Lifetime: `server` is a handle; copies share one server. The server lives on
// while it listens or has connections, even when every handle is gone; close it
// to stop it. Once closed and its handlers finished, it closes its own libuv
// handles, so that uv_run returns and uv_loop_close succeeds.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <iosfwd>
#include <memory>
#include <stdexcept>
#include <system_error>

#include <uv.h>

#include "berth/core/action.hpp"
#include "berth/core/options.hpp"
#include "berth/core/statistics.hpp"
#include "berth/driver/errors.hpp"
#include "berth/driver/server_hooks.hpp"
#include "berth/posix/listen_spec.hpp"
#include "berth/posix/listener.hpp"
#include "berth/posix/socket_address.hpp"
#include "berth/uv/completion.hpp"
#include "berth/uv/run.hpp"
#include "berth/uv/stream.hpp"

namespace berth::uv {

using sock_handler =
    std::function<void(const posix::socket_address& peer, uv_stream_t* stream, completion done)>;
using stream_handler =
    std::function<void(const posix::socket_address& peer, reader& r, writer& w, completion done)>;

/// The user's hooks (berth/driver/server_hooks.hpp). Here `on_handler_error` runs
/// on the loop; if it throws, the server starts closing (without closing existing
/// connections) and the exception is raised on the loop (berth/uv/run.hpp).
using server_hooks = driver::server_hooks;

/// The options were refused (nothing was opened), or a required hook is missing.
using creation_error = driver::creation_error;

/// Raised on the loop when accept fails in a way the server cannot recover from
/// (EBADF, EINVAL, ...): the server has stopped accepting and closed its socket.
using accept_error = driver::accept_error;

namespace detail {
class server_impl;
}  // namespace detail

class server {
public:
    /// Validates `opts` before opening anything (creation_error), then binds and
    /// listens as `spec` says (posix::listen_error, nothing left open), then starts
    /// accepting on `loop`. `opts.max_connections` left unset means the default: 90%
    /// of the soft descriptor limit (an explicit 0 is refused). `opts.on_handler_error`
    /// is required.
    [[nodiscard]] static server create_sock(uv_loop_t* loop, const posix::listen_spec& spec,
                                            core::options opts, sock_handler handler,
                                            server_hooks hooks = {});
    [[nodiscard]] static server create(uv_loop_t* loop, const posix::listen_spec& spec,
                                       core::options opts, stream_handler handler,
                                       server_hooks hooks = {});

    /// Starts closing now (SEMANTICS.md section 8): is_closed() is true and no
    /// handler starts once this returns. `done` (may be empty) runs on the loop
    /// when the listening socket (and, with close_existing_connections, every
    /// connection present then) is closed. Idempotent: later calls complete with
    /// the first one's completion; a later `true` still closes the connections.
    void close(bool close_existing_connections, std::function<void()> done = {});

    /// close(false) with a graceful drain: connections still open after
    /// `drain_timeout` are closed as with close_existing_connections.
    void close_with_drain(std::chrono::nanoseconds drain_timeout, std::function<void()> done = {});

    /// `done` runs when the first close() completes, without starting a close.
    void close_finished(std::function<void()> done);

    /// `done` runs when the listening socket is closed and no connection remains.
    void handlers_finished(std::function<void()> done);

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
    [[nodiscard]] uv_loop_t* loop() const;

    /// Tests only: the next `count` accept attempts fail with `error_value`
    /// without touching the kernel (posix::accept_faults). Successive calls queue.
    void inject_accept_faults(int error_value, std::uint32_t count);

    /// The description: listening_on, options, policy, connections (id and peer),
    /// accept step, drop mode, closed state, statistics.
    friend std::ostream& operator<<(std::ostream& os, const server& s);
    void write_json(std::ostream& os) const;

private:
    explicit server(std::shared_ptr<detail::server_impl> impl) : impl_(std::move(impl)) {}

    std::shared_ptr<detail::server_impl> impl_;
};

}  // namespace berth::uv
