/// @file
/// The primitives a backend supplies to the engine (engine/server.hpp). This is the
/// whole of what is specific to Asio, to libuv or to the simulator: the engine does
/// everything else (it feeds the core, executes its actions, runs the handlers,
/// keeps the connections, the reader and the writer) once, for all three.
///
/// The contract, for every primitive below:
///   - All calls are made on the server's loop (Asio: its executor; libuv: the
///     loop's thread; the simulator: its single thread), never concurrently.
///   - A completion (on_* on the engine or a connection) is never reported from
///     inside the call that started the operation, unless the primitive says so.
///   - Error values are errno values, positive, as Linux numbers them; 0 is success.
///   - Nothing here throws, unless it says so.
///
/// docs/architecture.md draws the flow of events and actions between the core, the
/// engine and a backend.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "berth/address.hpp"
#include "berth/core/action.hpp"
#include "berth/core/event.hpp"
#include "berth/core/types.hpp"

/// The one engine between the core and every backend's I/O, and the primitives
/// (io, stream_io) a backend implements for it.
namespace berth::engine {

class connection;
class server;

/// The result of one accept call.
struct accept_result {
    core::socket_handle socket = 0;  ///< when error_value == 0
    address peer;                    ///< when error_value == 0
    int error_value = 0;             ///< accept(2)'s errno; 0 for a socket
};

/// Which directions stream_io::shutdown ends: `write` (SHUT_WR: the peer sees the
/// end of the stream) or `both` (SHUT_RDWR: reads end too).
enum class shutdown_how : std::uint8_t { write, both };

/// The backend's side of one connection's socket, created by io::adopt. The engine
/// owns it; the backend may keep state of its own alive longer (while its loop
/// winds down cancelled operations), but never calls the connection after it
/// reported connection::on_closed().
class stream_io {
public:
    /// A descriptor on POSIX; -1 for none.
    using native_handle_type = std::int64_t;

    /// Releases the backend's hold on the socket; called after on_closed().
    virtual ~stream_io() = default;

    /// Reads at most `into.size()` bytes (`into` is not empty) into `into`, and
    /// reports connection::on_read(bytes, 0) with bytes > 0, (0, 0) at the end of
    /// the stream, or (0, errno). One read at a time; `into` stays valid until then.
    /// @param into the engine's input buffer space.
    virtual void read(std::span<char> into) = 0;
    /// Writes at least one byte of `from` (not empty), and reports
    /// connection::on_written(bytes, 0) or (0, errno). One write at a time, which
    /// may overlap the read; `from` stays valid until then.
    /// @param from the engine's output bytes.
    virtual void write(std::span<const char> from) = 0;
    /// shutdown(2) now: the peer sees the end of the stream after what was written.
    /// Errors are ignored: the next read or write reports them.
    /// @param how which directions end.
    virtual void shutdown(shutdown_how how) = 0;
    /// Shuts the socket down both ways and closes it. From then on no read or write
    /// is reported; connection::on_closed() is reported once, never inside this call.
    virtual void close() = 0;
    /// The descriptor for the user (stream::native_handle), -1 where there is none.
    [[nodiscard]] virtual native_handle_type native_handle() const = 0;
    /// A deadline the backend armed with connection::arm_io_deadline has passed.
    virtual void on_io_deadline() {}
    /// The connection's handler has ended (before the core hears of it): a backend
    /// that holds back a close until then (libuv's native form) goes on.
    virtual void on_handler_done() {}
};

/// The backend's event loop and listening socket.
class io {
public:
    /// Releases the loop's resources; the engine is gone by then.
    virtual ~io() = default;

    /// Monotonic time, never decreasing.
    /// @return nanoseconds on the loop's clock.
    [[nodiscard]] virtual core::time_ns now_ns() = 0;
    /// Runs `fn` later on the loop, in posting order.
    /// @param fn owned by the loop until it runs; it may post again.
    virtual void post(std::function<void()> fn) = 0;
    /// Keeps the server's one timer at `deadline_ns` (no_deadline_ns: disarmed),
    /// replacing the previous one; server::on_timer() when it fires. Firing early or
    /// late is harmless: the engine compares with its deadlines.
    /// @param deadline_ns on now_ns()'s clock.
    virtual void arm_timer(core::time_ns deadline_ns) = 0;
    /// Makes `error` propagate out of the loop's run as the backend raises errors
    /// (Asio: out of run(); libuv: berth::uv::run or the loop's error handler; sim:
    /// out of world::step()). Never throws here, never inside this call.
    /// @param error not null.
    virtual void raise(std::exception_ptr error) = 0;
    /// The engine or the core found a broken contract: a bug in berth. May throw
    /// (Asio: std::logic_error), abort (libuv: nothing may cross its C frames) or
    /// record it and return (sim: the world's check fails).
    /// @param what a sentence naming the broken rule.
    virtual void contract_violation(const std::string& what) = 0;

    // --- The listening socket -------------------------------------------------
    /// Reports server::on_listener_readable() once the listener is readable.
    virtual void wait_readable() = 0;
    /// One non-blocking accept, with the test seam's faults first.
    /// @return the socket, now the engine's, or the errno.
    [[nodiscard]] virtual accept_result accept_one() = 0;
    /// Closes the listener, cancelling a wait for readability; reports
    /// server::on_listener_closed(), possibly inside this call.
    virtual void close_listener() = 0;
    /// Opens the shed mode's reserved descriptor.
    /// @return whether it is held now (opening fails while descriptors are short).
    [[nodiscard]] virtual bool hold_reserve() = 0;
    /// Closes the reserved descriptor, if held, so that a shed batch can accept.
    virtual void release_reserve() = 0;
    /// Shuts down and closes a socket that never got a stream_io (dropped, shed,
    /// closed before its handler started), at once.
    /// @param socket from accept_one; the backend's again, to close.
    virtual void close_socket_now(core::socket_handle socket) = 0;
    /// The listening socket's address, asked of the socket.
    /// @throws std::logic_error once it is closed.
    [[nodiscard]] virtual address listening_on_address() const = 0;
    /// Tests only: the next `count` accepts fail with `error_value`, after those
    /// already queued.
    /// @param error_value the errno each fails with.
    /// @param count how many fail.
    /// @throws creation_error when the seam cannot queue them.
    virtual void inject_accept_faults(int error_value, std::uint32_t count) = 0;

    // --- Connections ------------------------------------------------------------
    /// Wraps an accepted socket for `c`.
    /// @param c the connection the stream reports to; it owns the result.
    /// @param socket from accept_one.
    /// @return the stream, owned by `c`.
    /// @throws std::system_error when the loop cannot take the socket; it is then
    ///   still the engine's to close.
    [[nodiscard]] virtual std::unique_ptr<stream_io> adopt(connection& c,
                                                           core::socket_handle socket) = 0;
    /// Native handler forms only: starts the backend's own handler for `c`, which
    /// reports connection::on_native_handler_done() when its code ends. The default
    /// is a contract violation: a backend without a native form never gets here.
    /// @param c the connection, adopted already.
    virtual void start_native_handler(connection& c);

    // --- Observation (the simulator's trace and checks) -------------------------
    /// Each event, before the core handles it; by default nothing.
    virtual void observe(const core::event& /*ev*/) {}
    /// Each action, before the engine executes it; by default nothing.
    virtual void observe(const core::action& /*a*/) {}
    /// The backend's own invariants (after the engine's): nullptr when they hold.
    [[nodiscard]] virtual const char* check_invariant() const { return nullptr; }

    /// The engine this io serves: set by the engine's constructor.
    /// @param e the engine; it owns this io and so outlives it.
    void attach(server& e) { engine_ = &e; }

protected:
    /// Where the primitives report. Precondition: attached.
    [[nodiscard]] server& engine() const { return *engine_; }

private:
    server* engine_ = nullptr;
};

}  // namespace berth::engine
