// The backend-neutral harness of the conformance scenarios. Each backend (sim,
// Asio, libuv) implements it once; the scenarios are written against it only, and
// every scenario runs on every backend.
//
// The server under test always runs the portable line protocol of
// berth/line_protocol.hpp, the same handler on every backend: line_protocol_handler()
// for `create`, line_protocol_sock_handler() for `create_sock`. Each line is echoed;
// `quit` -> `bye` and the handler finishes; `fail` -> the handler fails with "fail
// requested"; `flood N` -> N bytes of 'x', a chunk at a time, each awaited (the
// writer's flushed() in the create form); `sleep MS` -> it pauses, then echoes;
// `read N` -> it reads exactly N bytes (1 to 65536, newlines included) and answers
// "got N:<the bytes>"; otherwise it blocks reading. So what a handler does is
// chosen by the client and the harness needs no hooks into it.
//
// Times: virtual in the simulator, real elapsed time in real backends. A wait for
// something that must happen is bounded by `patience_ns` (generous: a loaded CI
// machine under ASan is slow, and a met condition returns at once); a wait that
// checks that something does NOT happen is short (`brief_ns`).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/core/action.hpp"
#include "berth/core/options.hpp"
#include "berth/core/statistics.hpp"

namespace berth::conformance {

using core::time_ns;
inline constexpr time_ns ms = core::ns_per_ms;
/// The bound on waiting for something that must happen.
inline constexpr time_ns patience_ns = 5000 * ms;
/// How long a scenario watches for something that must not happen.
inline constexpr time_ns brief_ns = 20 * ms;

enum class handler_form : std::uint8_t {
    sock,           // create_sock: the handler gets a berth::stream
    reader_writer,  // create: the handler gets a berth::reader and a buffered berth::writer
};

struct server_config {
    core::options opts;
    handler_form form = handler_form::sock;
    /// The text forms of berth/posix/parse_listen_spec.hpp: "127.0.0.1:0",
    /// "[::1]:0", "unix:PATH", "unix:@NAME". The sim takes the same text as its
    /// simulated address.
    std::string listen = "127.0.0.1:0";
    /// With the `call` policy: the function throws after recording the call.
    bool call_raises = false;
    /// Installs server_hooks::on_notice, which records every notice for notices().
    /// Without it the server runs with no notice hook, as most users' do.
    bool record_notices = false;
    /// The first handler to start calls the server's close(false) before it
    /// serves, as a user's handler may: the handlers of its batch not started yet
    /// would start after close returned.
    bool first_handler_closes = false;
};

/// Whether creation succeeded; if not, the creation error's message.
struct start_result {
    std::optional<std::string> error;
    [[nodiscard]] bool ok() const { return !error.has_value(); }
};

/// Facts of a backend that make a scenario's expectation differ. Each is
/// documented where it is set and in docs/simulator.md; a scenario that reads one
/// checks what that backend does instead, it never skips.
struct backend_facts {
    /// Creation errors end with a hint where one helps ("<operation> <address>
    /// failed: <NAME> (<text>); <hint>"): the real backends know the file system
    /// and the privileges. The sim's kernel gives the same message without a hint.
    bool listen_error_hints = true;
    /// Unix socket names live in a real file system with sun_path's limit. The
    /// sim's addresses are plain text: no directories, no length limit.
    bool unix_sockets_are_files = true;
};

using client_id = std::uint32_t;

class harness {
public:
    harness() = default;
    harness(const harness&) = delete;
    harness& operator=(const harness&) = delete;
    virtual ~harness() = default;

    [[nodiscard]] virtual backend_facts facts() const = 0;

    /// Creates the server; reports the creation error instead of throwing.
    [[nodiscard]] virtual start_result start_server(const server_config& config) = 0;
    /// The server's listening_on(), as listen_endpoint::to_string(): the port for
    /// TCP ("8080"), the path for a Unix socket file, "@NAME" for an abstract name.
    [[nodiscard]] virtual std::string listening_on() const = 0;
    /// The server's listening_on_address(), as address::to_string(): "HOST:PORT",
    /// "[IPv6]:PORT", the path, or "@NAME"; nothing when it threw std::logic_error
    /// (the listening socket is closed).
    [[nodiscard]] virtual std::optional<std::string> bound_address() const = 0;
    /// An address in the listen text form on which something else already listens
    /// (a fixed port). It stays taken until shut_down.
    [[nodiscard]] virtual std::string occupied_address() = 0;
    /// A directory for Unix socket files, removed with its contents at shut_down.
    [[nodiscard]] virtual std::string scratch_directory() = 0;

    /// Starts connecting a client to the server's address and returns at once (the
    /// connect may stay pending while the listen queue is full).
    virtual client_id connect() = 0;
    /// Queues bytes to send; they are sent in the background as the peer takes them.
    virtual void send(client_id c, std::string_view data) = 0;
    /// The next line the client receives, within `timeout_ns`; nothing on timeout
    /// or when the stream ended. Only a client being waited on reads: the others
    /// let what the server sends pile up, as a client that never reads does.
    virtual std::optional<std::string> receive_line(client_id c, time_ns timeout_ns) = 0;
    /// Reads and discards what the client receives until `count` bytes came, the
    /// stream ended, or `timeout_ns` passed; how many bytes came.
    virtual std::size_t receive_bytes(client_id c, std::size_t count, time_ns timeout_ns) = 0;
    /// Waits up to `timeout_ns` for the server's side to close (end of stream or
    /// reset), reading and discarding what comes before. Returns whether it did.
    virtual bool wait_peer_closed(client_id c, time_ns timeout_ns) = 0;
    /// Closes the client once what it queued is sent (at once if nothing is).
    virtual void close_client(client_id c) = 0;

    /// Runs the backend until `condition` holds, at most `timeout_ns`.
    virtual bool wait_until(const std::function<bool()>& condition, time_ns timeout_ns) = 0;
    /// Lets `duration_ns` pass with the backend running.
    virtual void advance(time_ns duration_ns) = 0;
    /// The backend's clock: virtual in the sim, the steady clock in real backends.
    [[nodiscard]] virtual time_ns now_ns() const = 0;

    virtual void close(bool close_existing_connections) = 0;
    /// The server's close_with_drain(drain): connections still open `drain` from now
    /// are closed as with close_existing_connections. A negative drain throws the
    /// server's berth::creation_error.
    virtual void close_with_drain(std::chrono::nanoseconds drain) = 0;
    [[nodiscard]] virtual bool close_finished() const = 0;
    [[nodiscard]] virtual bool handlers_finished() const = 0;
    [[nodiscard]] virtual bool is_closed() const = 0;
    [[nodiscard]] virtual std::uint32_t num_connections() const = 0;
    virtual void set_drop_incoming_connections(bool drop) = 0;
    [[nodiscard]] virtual bool is_dropping_incoming_connections() const = 0;
    [[nodiscard]] virtual bool invariant() const = 0;
    [[nodiscard]] virtual core::statistics stats() const = 0;
    /// The options the server runs with (options()), defaults filled in.
    [[nodiscard]] virtual core::options server_options() const = 0;
    /// The server's description as JSON (write_json).
    [[nodiscard]] virtual std::string description_json() const = 0;
    /// The soft limit on descriptors a server's default max_connections follows:
    /// RLIMIT_NOFILE's soft limit for real backends, the simulated kernel's
    /// fd_limit for the sim.
    [[nodiscard]] virtual std::uint64_t descriptor_limit() const = 0;

    /// With the `call` policy: "PEER: MESSAGE" for every call, in order.
    [[nodiscard]] virtual std::vector<std::string> policy_calls() const = 0;
    /// Errors that propagated out of the backend's run (`raise`, a raising `call`,
    /// fatal accept errors), as their messages, in order.
    [[nodiscard]] virtual std::vector<std::string> raised_errors() const = 0;
    /// With server_config::record_notices: the kind of every notice, in order.
    [[nodiscard]] virtual std::vector<core::notice_kind> notices() const = 0;
    /// With server_config::record_notices: every notice as the hook got it, in order.
    [[nodiscard]] virtual std::vector<core::actions::notice> notice_records() const = 0;
    /// The fault seam: the next accept calls fail with these errno values. A
    /// per-connection error (ECONNABORTED, ...) takes the connection first in the
    /// listen queue, if any, and resets it, as a client that reset before the
    /// accept leaves it; the others leave the queue alone.
    virtual void inject_accept_errors(const std::vector<int>& errors) = 0;

    /// Descriptors held now: real backends count /proc/self/fd; the sim counts
    /// its simulated descriptor table.
    [[nodiscard]] virtual std::size_t open_descriptors() const = 0;
    /// Closes every client, the server (with its connections), the occupied
    /// address and the scratch directory, and runs the backend until all of it is
    /// released. Idempotent; never throws.
    virtual void shut_down() = 0;
};

/// Implemented once per backend.
std::unique_ptr<harness> make_harness();

}  // namespace berth::conformance
