// What every backend's server offers with the same name and meaning (SEMANTICS.md
// sections 8 and 9): asio::server, uv::server and sim::server derive from it and
// add only their creation and, where their completion style differs, close.
//
// A server is a handle: copies share one server. The server lives on while it
// listens or has connections, even when every handle is gone; close it to stop it.
// Thread safety: as the backend's server; every call on its loop.
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

class basic_server {
public:
    [[nodiscard]] std::uint32_t num_connections() const;
    /// True from the moment close is called.
    [[nodiscard]] bool is_closed() const;
    /// Where the server listens: computed once at creation, valid after close.
    [[nodiscard]] const listen_endpoint& listening_on() const;
    /// The listening socket's address, asked of the socket; throws
    /// std::logic_error from the moment close is called.
    [[nodiscard]] address listening_on_address() const;
    void set_drop_incoming_connections(bool drop);
    [[nodiscard]] bool is_dropping_incoming_connections() const;
    /// The core's invariants (SEMANTICS.md section 9), the engine's and the backend's.
    [[nodiscard]] bool invariant() const { return check_invariant() == nullptr; }
    /// nullptr when every invariant holds, else the first broken one.
    [[nodiscard]] const char* check_invariant() const;
    [[nodiscard]] const core::statistics& stats() const;
    [[nodiscard]] const core::options& options() const;
    /// Events handed to the core so far.
    [[nodiscard]] std::uint64_t events_handled() const;

    /// Tests only: the next `count` accept attempts fail with `error_value` without
    /// touching the kernel. Successive calls queue. Throws creation_error when the
    /// seam cannot queue them.
    void inject_accept_faults(int error_value, std::uint32_t count);

    /// The description: listening_on, the backend, options, policy, connections
    /// (id, state and peer), accept step, drop mode, closed state, statistics.
    friend std::ostream& operator<<(std::ostream& os, const basic_server& s);
    void write_json(std::ostream& os) const;

    [[nodiscard]] engine::server& engine() const { return *engine_; }

protected:
    explicit basic_server(std::shared_ptr<engine::server> e) : engine_(std::move(e)) {}

    std::shared_ptr<engine::server> engine_;
};

/// The close operations of backends whose completions are plain callbacks (libuv,
/// the simulator). Each callback may be empty; it runs later on the server's loop,
/// never inside the call.
class callback_server : public basic_server {
public:
    /// Starts closing now (SEMANTICS.md section 8): is_closed() is true and no
    /// handler starts once this returns. `done` runs when the listening socket (and,
    /// with close_existing_connections, every connection present then) is closed.
    /// Idempotent: later calls complete with the first one's completion; a later
    /// `true` still closes the connections present then.
    void close(bool close_existing_connections = false, std::function<void()> done = {});
    /// close(false) with a graceful drain: connections still open `drain_timeout`
    /// from now are closed as with close_existing_connections. Throws
    /// creation_error for a negative timeout.
    void close_with_drain(std::chrono::nanoseconds drain_timeout, std::function<void()> done = {});
    /// `done` runs when the first close completes, without starting a close.
    void close_finished(std::function<void()> done);
    /// `done` runs when the listening socket is closed and no connection remains.
    void handlers_finished(std::function<void()> done);

protected:
    using basic_server::basic_server;
};

}  // namespace berth
