/// @file
/// The engine of one server: the one piece of code between the core
/// (berth/core/server.hpp) and a backend's I/O (engine/io.hpp), the same for Asio,
/// libuv and the simulator. It feeds the core every event with the time, drains the
/// actions after each one (drain.cpp), runs the accept batches (accept.cpp), keeps
/// the connections and runs their handlers (connection.cpp), applies the error
/// policy (error_policy.cpp), fires the completions (completions.cpp), keeps the
/// server's one timer (timers.cpp) and describes the server (description.cpp).
///
/// Decisions are the core's; the engine carries them out, and the backend only
/// supplies primitives. docs/architecture.md has the picture.
///
/// Lifetime: a backend creates it with std::make_shared and calls start(). From
/// then on it keeps itself alive while it listens or has connections (as a running
/// server in Async does, even when every user handle is gone), and the backend's
/// pending callbacks hold it too (self()).
/// Thread safety: none; everything runs on the server's loop.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <exception>
#include <iosfwd>
#include <memory>
#include <string_view>
#include <variant>
#include <vector>

#include "berth/address.hpp"
#include "berth/core/detail/deadline_heap.hpp"
#include "berth/core/server.hpp"
#include "berth/engine/connection.hpp"
#include "berth/engine/io.hpp"
#include "berth/handler.hpp"

namespace berth::engine {

/// The backend runs its own handler form (an Asio awaitable on the native socket,
/// a libuv callback on the uv_stream_t): io::start_native_handler.
struct native_handler {};

/// A server's handler, in whichever form it was created with.
using handler = std::variant<reader_writer_handler, stream_handler, native_handler>;

/// What a completion waits for: the `close` (SEMANTICS.md section 8) to complete,
/// or `handlers_finished`: the listener closed and no connection left.
enum class completion_kind : std::uint8_t { close, handlers_finished };

/// A waiter of close() or handlers_finished(), as the backend's completion style
/// makes it (an Asio handler, a std::function).
/// The engine owns it until complete() has run.
class completion {
public:
    /// A waiter not yet completed.
    completion() = default;
    completion(const completion&) = delete;
    completion& operator=(const completion&) = delete;
    /// Destroyed after complete(), or, never completed, with the engine.
    virtual ~completion() = default;
    /// Schedules the user's callback on its loop; it never runs inside this call.
    virtual void complete() = 0;
};

/// The completion of backends whose callbacks are std::function (libuv, sim):
/// io::post runs it.
/// @param loop the io to post on; must outlive the completion.
/// @param fn may be empty: then nothing is posted.
/// @return the completion, for server::add_completion.
[[nodiscard]] std::unique_ptr<completion> posted_completion(io& loop, std::function<void()> fn);

/// What a backend hands the engine at creation; the engine keeps it all.
struct config {
    core::options opts;             ///< checked already (checked_options)
    handler serve;                  ///< the user's handler, or native_handler
    server_hooks hooks;             ///< the user's hooks
    listen_endpoint listening_on;   ///< computed by the backend once the listener is open
    std::string_view backend_name;  ///< "asio", "uv", "sim": for the description
};

/// One server's engine. Always held by std::shared_ptr (see the file's
/// description). Not thread safe: every member runs on the server's loop.
class server : public std::enable_shared_from_this<server> {
public:
    /// `opts` must already be checked (checked_options) and the listener open.
    /// @param loop the backend's primitives; the engine owns them and attaches
    ///   itself (io::attach).
    /// @param cfg kept.
    server(std::unique_ptr<io> loop, config cfg);
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    /// Destroys what connections remain (their frames first), then the io.
    ~server();

    /// The first drain: the first accept step. Keeps the server alive from here.
    void start();
    /// Stops keeping the server alive although it still serves: for a loop that ends
    /// first (the simulated world's end). Its connections go with the last handle.
    void abandon() { self_.reset(); }

    // --- The user's calls ------------------------------------------------------
    /// Feeds close_requested: the close of SEMANTICS.md section 8.
    /// @param close_existing_connections also close every connection present now.
    /// @param drain_timeout nanoseconds::max() for no drain deadline.
    /// @throws creation_error for a negative drain timeout, before anything changes.
    void request_close(bool close_existing_connections, std::chrono::nanoseconds drain_timeout);
    /// Registers a waiter; one whose event already happened is completed at once
    /// (its callback still runs later, as completion::complete posts).
    /// @param kind what it waits for.
    /// @param c owned by the engine from now on.
    void add_completion(completion_kind kind, std::unique_ptr<completion> c);
    /// Feeds drop_mode_set.
    /// @param drop on or off.
    void set_drop_incoming_connections(bool drop);

    // --- Reported by the backend (engine/io.hpp) ---------------------------------
    /// After io::wait_readable: the listening socket is readable.
    void on_listener_readable();
    /// After io::close_listener: the listening socket is closed.
    void on_listener_closed();
    /// The timer io::arm_timer armed went off.
    void on_timer();
    /// Native handler forms: the backend's handler for `id` ended (`error` null for
    /// ok). A report for a handler that already ended, even one since released, is
    /// an extra completion: a notice, nothing more.
    /// @param id the connection the handler was started for.
    /// @param error what it failed with, or null.
    void on_native_handler_done(core::connection_id id, std::exception_ptr error);

    /// One report from the backend (a read or a write completed): every event it
    /// causes is fed with one reading of the clock, as a libuv loop iteration has
    /// one `uv_now`. Pipelined requests answered in one read then cost one clock
    /// read, not one per reply. Durations the handler asks for (a sleep, a read's
    /// timeout) read the clock afresh, so a slice that computes for long does not
    /// shorten them. Outside a turn every event reads the clock.
    /// A scope: construct one on the stack around the report; turns nest.
    class turn {
    public:
        /// Opens a turn; the clock is read at the first event.
        /// @param s the engine; must outlive the turn.
        explicit turn(server& s) : server_(s) { ++server_.turn_depth_; }
        turn(const turn&) = delete;
        turn& operator=(const turn&) = delete;
        /// Closes the turn; the outermost forgets its reading.
        ~turn() {
            if (--server_.turn_depth_ == 0) server_.turn_now_ns_ = no_reading_ns;
        }

    private:
        server& server_;
    };

    // --- State --------------------------------------------------------------------
    /// The core, for reading its state; valid for the engine's life.
    [[nodiscard]] const core::server& core() const { return core_; }
    /// The backend's primitives; valid for the engine's life.
    [[nodiscard]] io& loop() const { return *io_; }
    /// Where the server listens, as given at creation.
    [[nodiscard]] const listen_endpoint& listening_on() const { return listening_on_; }
    /// A strong reference, for a backend's pending callback to hold.
    [[nodiscard]] std::shared_ptr<server> self() { return shared_from_this(); }
    /// Events handed to the core so far.
    [[nodiscard]] std::uint64_t events_handled() const { return events_handled_; }
    /// nullptr when the core's, the engine's and the backend's invariants hold.
    /// @return nullptr, or a string naming the first broken invariant.
    [[nodiscard]] const char* check_invariant() const;
    /// The description of SEMANTICS.md section 9: text, or JSON.
    /// @param os the stream written to.
    /// @param json JSON (one object) rather than text.
    void describe(std::ostream& os, bool json) const;

private:
    friend class connection;

    // drain.cpp
    static constexpr core::time_ns no_reading_ns = -1;
    [[nodiscard]] core::time_ns now_ns();
    void feed(const core::event& ev);
    void drain();
    void execute(const core::actions::idle& a);
    void execute(const core::actions::wait_readable& a);
    void execute(const core::actions::hold_reserve& a);
    void execute(const core::actions::release_reserve& a);
    void execute(const core::actions::close_listener& a);
    void execute(const core::actions::notice& a);
    void execute(const core::actions::raise_accept_error& a);
    void execute(const core::actions::complete_close& a);
    void execute(const core::actions::complete_handlers_finished& a);
    // accept.cpp
    void execute(const core::actions::accept_batch& a);
    void execute(const core::actions::close_dropped_socket& a);
    [[nodiscard]] address take_peer(core::socket_handle socket);
    // connection.cpp
    void execute(const core::actions::start_handler& a);
    void execute(const core::actions::close_socket& a);
    [[nodiscard]] connection* find(core::connection_id id) const;
    // error_policy.cpp
    void execute(const core::actions::release_connection& a);
    void raise(std::exception_ptr error);
    // completions.cpp
    void complete(completion_kind kind);
    // timers.cpp
    void arm_timer();
    void schedule(connection& c);
    void unschedule(const connection& c);
    void expire_operations(core::time_ns now_ns);
    void keep_alive_while_serving();

    std::unique_ptr<io> io_;
    core::server core_;
    handler serve_;
    server_hooks hooks_;
    listen_endpoint listening_on_;
    std::string_view backend_name_;
    std::shared_ptr<server> self_;  ///< while it listens or has connections
    std::uint64_t events_handled_ = 0;

    bool draining_ = false;
    bool waiting_readable_ = false;
    std::uint32_t turn_depth_ = 0;
    core::time_ns turn_now_ns_ = no_reading_ns;  ///< the turn's reading, once taken

    // Connections by slot index, and the peers of sockets accepted but not started
    // (by descriptor number: the low 32 bits of a handle).
    std::vector<std::unique_ptr<connection>> connections_;
    std::uint32_t connections_held_ = 0;
    std::vector<address> pending_peers_;

    // The one timer: the core's deadline and the connections' operation deadlines.
    core::time_ns core_deadline_ns_ = core::no_deadline_ns;
    core::time_ns timer_at_ns_ = core::no_deadline_ns;
    core::detail::deadline_heap deadlines_;

    std::array<std::vector<std::unique_ptr<completion>>, 2> waiters_;
    std::array<bool, 2> completed_{};
};

/// `opts` with its default filled in (max_connections unset: `default_max_connections`),
/// or creation_error naming what is wrong: the options refused by core::validate,
/// the `call` policy without its hook, an empty handler. Opens nothing.
/// @param opts the user's options.
/// @param hooks the user's hooks.
/// @param default_max_connections the backend's default (posix: 90% of the soft
///   descriptor limit).
/// @param has_handler whether the handler is non-empty.
/// @param form "create", "create_sock", ... for the message.
/// @return the options to run with.
/// @throws creation_error "<form>: the handler is empty", validate()'s message,
///   or "on_handler_error is call, but server_hooks::on_handler_error is not set".
[[nodiscard]] core::options checked_options(core::options opts, const server_hooks& hooks,
                                            std::uint32_t default_max_connections, bool has_handler,
                                            const char* form);

}  // namespace berth::engine
