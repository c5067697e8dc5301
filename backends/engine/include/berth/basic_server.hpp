/// @file
/// What every backend's server offers with the same name and meaning (SEMANTICS.md
/// sections 8 and 9): asio::server, uv::server and sim::server derive from it and
/// add only their creation and, where their completion style differs, close.
///
/// A server is a handle: copies share one server. The server lives on while it
/// listens or has connections, even when every handle is gone; close it to stop it.
/// Thread safety: as the backend's server; every call on its loop.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>

#include "berth/address.hpp"
#include "berth/core/options.hpp"
#include "berth/core/statistics.hpp"

namespace berth {

namespace engine {
class server;
}  // namespace engine

/// The calls every backend's server shares. Not thread safe: call it on the
/// server's loop (the thread running the io_context, the uv loop, the simulated
/// world). No call here blocks or runs user code.
class basic_server {
public:
    /// Connections whose handler runs or whose socket is still closing; at most
    /// options().max_connections.
    [[nodiscard]] std::uint32_t num_connections() const;
    /// True from the moment close is called.
    [[nodiscard]] bool is_closed() const;
    /// Where the server listens: computed once at creation, valid after close.
    /// @return a reference valid while any handle to the server exists.
    [[nodiscard]] const listen_endpoint& listening_on() const;
    /// The listening socket's address, asked of the socket (getsockname on POSIX).
    /// @throws std::logic_error naming the endpoint from the moment close is called.
    [[nodiscard]] address listening_on_address() const;
    /// Drop mode (SEMANTICS.md section 4): while on, every socket accepted is closed
    /// at once and no handler starts; connections already running are untouched.
    /// Takes effect from the next accept on.
    /// @param drop on or off.
    void set_drop_incoming_connections(bool drop);
    /// Whether drop mode is on.
    [[nodiscard]] bool is_dropping_incoming_connections() const;
    /// The core's invariants (SEMANTICS.md section 9), the engine's and the backend's.
    [[nodiscard]] bool invariant() const { return check_invariant() == nullptr; }
    /// nullptr when every invariant holds, else the first broken one.
    /// @return a static string naming the invariant, or nullptr.
    [[nodiscard]] const char* check_invariant() const;
    /// The counters of SEMANTICS.md section 9; the reference stays valid while any
    /// handle to the server exists, and changes as the server runs.
    [[nodiscard]] const core::statistics& stats() const;
    /// The options the server runs with: those given, max_connections filled in.
    [[nodiscard]] const core::options& options() const;
    /// Events handed to the core so far.
    [[nodiscard]] std::uint64_t events_handled() const;

    /// Tests only: the next `count` accept attempts fail with `error_value` without
    /// touching the kernel. Successive calls queue.
    /// @param error_value the errno each attempt fails with.
    /// @param count how many attempts fail.
    /// @throws creation_error "inject_accept_faults: the fault queue holds at most N
    ///   runs of equal errno values" when the seam cannot queue them.
    void inject_accept_faults(int error_value, std::uint32_t count);

    /// The description: listening_on, the backend, options, policy, connections
    /// (id, state and peer), accept step, drop mode, closed state, statistics.
    /// @param os the stream written to.
    /// @param s the server described.
    /// @return `os`.
    friend std::ostream& operator<<(std::ostream& os, const basic_server& s);
    /// The same description as one JSON object.
    /// @param os the stream written to.
    void write_json(std::ostream& os) const;

    /// The engine behind this handle, for backends and tests; it lives as long as
    /// the server does (at least as long as this handle).
    [[nodiscard]] engine::server& engine() const { return *engine_; }

protected:
    /// @param e the engine the handle shares.
    explicit basic_server(std::shared_ptr<engine::server> e) : engine_(std::move(e)) {}

    std::shared_ptr<engine::server> engine_;  ///< shared by every copy of the handle
};

/// The close operations of backends whose completions are plain callbacks (libuv,
/// the simulator). Each callback may be empty; it runs later on the server's loop,
/// never inside the call. A callback that throws propagates out of the loop's run
/// (berth::uv::run, sim::world::step). Not thread safe, as basic_server.
class callback_server : public basic_server {
public:
    /// Starts closing now (SEMANTICS.md section 8): is_closed() is true and no
    /// handler starts once this returns. `done` runs when the listening socket (and,
    /// with close_existing_connections, every connection present then) is closed.
    /// Idempotent: later calls complete with the first one's completion; a later
    /// `true` still closes the connections present then.
    /// @param close_existing_connections also close every connection present now:
    ///   their reads end and their writes fail; handlers still return on their own.
    /// @param done kept by the server until it runs, once, posted on its loop.
    void close(bool close_existing_connections = false, std::function<void()> done = {});
    /// close(false) with a graceful drain: connections still open `drain_timeout`
    /// from now are closed as with close_existing_connections. Throws
    /// creation_error for a negative timeout.
    /// @param drain_timeout how long connections may still finish on their own.
    /// @param done as for close().
    /// @throws creation_error "close_with_drain: the drain timeout must not be
    ///   negative (got N ns)", before anything changes.
    void close_with_drain(std::chrono::nanoseconds drain_timeout, std::function<void()> done = {});
    /// `done` runs when the first close completes, without starting a close.
    /// @param done posted on the server's loop; at once (posted) if the close has
    ///   already completed.
    void close_finished(std::function<void()> done);
    /// `done` runs when the listening socket is closed and no connection remains.
    /// @param done posted on the server's loop; at once (posted) if that is so
    ///   already.
    void handlers_finished(std::function<void()> done);

protected:
    using basic_server::basic_server;
};

}  // namespace berth
