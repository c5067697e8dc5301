// A berth server in the simulated world: the core's state machine, driven through
// the same contract as the real backends, over the simulated kernel.
//
// Two forms, as in every backend:
//   - create_sock: the handler gets the peer address and the connected socket;
//   - create: the handler gets the peer address, a reader and a buffered writer
//     (the writer flushes in the background and enforces buffer_age_limit).
// A handler is a sim::task; it fails by throwing. The exception is the error the
// error policy sees: `call` hands it to `server_hooks::on_handler_error`, `raise`
// rethrows it out of world::step()/run().
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#include "berth/core/action.hpp"
#include "berth/core/options.hpp"
#include "berth/core/statistics.hpp"
#include "berth/sim/socket.hpp"
#include "berth/sim/task.hpp"

namespace berth::sim {

class world;
class server_impl;
using core::socket_handle;
struct connection_record;

/// Options refused, or the listening socket could not be created. Nothing is left
/// open when it is thrown.
class creation_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The writer of a `create` connection failed: its buffer grew too old, or a write
/// failed for a reason other than the peer going away.
class writer_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A fatal accept error (EBADF, EINVAL, ...): the server stopped accepting.
class accept_error : public std::system_error {
public:
    explicit accept_error(int error_value)
        : std::system_error(error_value, std::generic_category(), "accept") {}
};

/// The handler's end of a `create` connection: reads are awaited.
class reader {
public:
    explicit reader(socket s) : socket_(s) {}
    [[nodiscard]] socket::line_awaitable read_line() { return socket_.read_line(); }
    [[nodiscard]] socket::line_awaitable read_line_for(time_ns timeout_ns) {
        return socket_.read_line_for(timeout_ns);
    }
    [[nodiscard]] socket::read_awaitable read_some(std::size_t max) {
        return socket_.read_some(max);
    }
    /// Exactly `n` bytes (n >= 1), however they are split over packets.
    [[nodiscard]] socket::exact_awaitable read_exactly(std::size_t n) {
        return socket_.read_exactly(n);
    }

private:
    socket socket_;
};

/// The buffered writer of a `create` connection. write() returns at once; the
/// bytes are flushed in the background. Valid until the handler returns.
class writer {
public:
    explicit writer(connection_record* c) : connection_(c) {}
    /// Appends to the buffer. Discarded once the connection's result is decided
    /// by the writer (too old, peer gone) or the writer has failed.
    void write(std::string_view data);
    [[nodiscard]] std::uint64_t bytes_waiting() const;
    [[nodiscard]] bool accepts_writes() const;

private:
    connection_record* connection_;
};

using sock_handler = std::function<task<>(std::string peer, socket sock)>;
using stream_handler = std::function<task<>(std::string peer, reader& r, writer& w)>;

struct server_hooks {
    /// The `call` policy's function. Required with error_policy::call. If it
    /// throws, the server starts closing and the exception propagates out of run.
    std::function<void(const std::string& peer, std::exception_ptr error)> on_handler_error;
    /// Operator notices (at limit, out of descriptors, late results, drain).
    std::function<void(const core::actions::notice&)> on_notice;
};

class server {
public:
    /// `listen` is "host:port" (port 0: chosen by the simulated kernel) or a path.
    /// `opts.max_connections` left unset means 90% of the simulated descriptor limit.
    /// Throws creation_error before creating anything if the options are invalid.
    static server create_sock(world& w, const std::string& listen, core::options opts,
                              sock_handler handler, server_hooks hooks = {});
    static server create(world& w, const std::string& listen, core::options opts,
                         stream_handler handler, server_hooks hooks = {});

    /// Starts closing (SEMANTICS.md section 8); `on_closed` fires, as a later
    /// world event, once the listening socket (and, with close_existing_connections,
    /// the connections present then) are closed. Idempotent.
    void close(bool close_existing_connections = false, std::function<void()> on_closed = {});
    /// Like close(), with a graceful drain: connections still open at `deadline_ns`
    /// are closed as with close_existing_connections.
    void close_with_drain(time_ns deadline_ns, std::function<void()> on_closed = {});
    /// The first close's completion, without starting a close.
    void close_finished(std::function<void()> callback);
    /// Fires when the listening socket is closed and no connection remains.
    void handlers_finished(std::function<void()> callback);

    [[nodiscard]] std::uint32_t num_connections() const;
    [[nodiscard]] bool is_closed() const;
    [[nodiscard]] const std::string& listening_on() const;
    void set_drop_incoming_connections(bool drop);
    [[nodiscard]] bool is_dropping_incoming_connections() const;
    [[nodiscard]] bool invariant() const;
    [[nodiscard]] const core::statistics& stats() const;
    [[nodiscard]] const core::options& options() const;
    /// Whether the close / handlers-finished completions have fired.
    [[nodiscard]] bool close_completed() const;
    [[nodiscard]] bool all_handlers_finished() const;
    /// The listening socket's descriptor handle. Accepting on it directly bypasses
    /// the limits and the error policy.
    [[nodiscard]] socket_handle listening_socket() const;
    /// Events handed to the core so far (the simulator's unit of work).
    [[nodiscard]] std::uint64_t events_handled() const;
    /// Times close() was called.
    [[nodiscard]] std::uint64_t close_calls() const;

    friend std::ostream& operator<<(std::ostream& os, const server& s);
    void write_json(std::ostream& os) const;

private:
    explicit server(server_impl* impl) : impl_(impl) {}
    server_impl* impl_;  // owned by the world
};

}  // namespace berth::sim
