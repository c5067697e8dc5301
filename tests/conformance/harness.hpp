// The backend-neutral harness of the conformance scenarios. Each backend (sim,
// Asio, libuv) implements it once; the scenarios are written against it only, and
// every scenario runs on every backend.
//
// The server under test always runs the line protocol of
// backends/sim/include/berth/sim/line_protocol.hpp (each line echoed; `quit` ->
// `bye` and the handler finishes; `fail` -> the handler fails with "fail
// requested"; `sleep MS` -> it pauses; `read N` -> it reads exactly N bytes (1 to
// 65536, newlines included; the reader's read-exactly in the create form) and
// answers "got N:<the bytes>"; otherwise it blocks reading), so what a handler
// does is chosen by the client and the harness needs no hooks into it.
//
// Times: virtual in the simulator, real elapsed time in real backends. A wait for
// something that must happen is bounded by `patience_ns` (generous: a loaded CI
// machine under ASan is slow, and a met condition returns at once); a wait that
// checks that something does NOT happen is short (`brief_ns`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

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
    sock,    // create_sock
    stream,  // create (reader and buffered writer)
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
    /// Creation errors come from berth::posix::listen_error: "<operation>
    /// <address> failed: <ERRNO NAME> (<text>)[; <hint>]". The sim's kernel
    /// reports "listen on <address>: <text> (errno N)" without name or hint.
    bool posix_listen_errors = true;
    /// Unix socket names live in a real file system with sun_path's limit. The
    /// sim's addresses are plain text: no directories, no length limit.
    bool unix_sockets_are_files = true;
};

using client_id = std::uint32_t;

class harness {
public:
    virtual ~harness() = default;

    [[nodiscard]] virtual backend_facts facts() const = 0;

    /// Creates the server; reports the creation error instead of throwing.
    [[nodiscard]] virtual start_result start_server(const server_config& config) = 0;
    /// The backend's listening_on() as text: the port for TCP ("8080"), the path
    /// for a Unix socket file, "@NAME" for an abstract name.
    [[nodiscard]] virtual std::string listening_on() const = 0;
    /// The address the listening socket reports, as "HOST:PORT", "[IPv6]:PORT",
    /// the path, or "@NAME". Precondition: started and not closed.
    [[nodiscard]] virtual std::string bound_address() const = 0;
    /// An address in the listen text form on which something else already listens
    /// (a fixed port). It stays taken until shut_down.
    [[nodiscard]] virtual std::string occupied_address() = 0;
    /// A directory for Unix socket files, removed with its contents at shut_down.
    [[nodiscard]] virtual std::string scratch_directory() = 0;

    /// Starts connecting a client and returns at once (the connect may stay
    /// pending while the listen queue is full).
    virtual client_id connect() = 0;
    /// Queues bytes to send; they are flushed in the background.
    virtual void send(client_id c, std::string_view data) = 0;
    /// The next line the client receives, within `timeout_ns`; nothing on timeout
    /// or when the stream ended.
    virtual std::optional<std::string> receive_line(client_id c, time_ns timeout_ns) = 0;
    /// Waits up to `timeout_ns` for the server's side to close (end of stream or
    /// reset, after any data). Returns whether it did.
    virtual bool wait_peer_closed(client_id c, time_ns timeout_ns) = 0;
    virtual void close_client(client_id c) = 0;

    /// Runs the backend until `condition` holds, at most `timeout_ns`.
    virtual bool wait_until(const std::function<bool()>& condition, time_ns timeout_ns) = 0;
    /// Lets `duration_ns` pass with the backend running.
    virtual void advance(time_ns duration_ns) = 0;

    virtual void close(bool close_existing_connections) = 0;
    /// close(false) with a drain: connections still open `drain_ns` from now are
    /// closed as with close_existing_connections.
    virtual void close_with_drain(time_ns drain_ns) = 0;
    [[nodiscard]] virtual bool close_finished() const = 0;
    [[nodiscard]] virtual bool handlers_finished() const = 0;
    [[nodiscard]] virtual bool is_closed() const = 0;
    [[nodiscard]] virtual std::uint32_t num_connections() const = 0;
    virtual void set_drop_incoming_connections(bool drop) = 0;
    [[nodiscard]] virtual bool is_dropping_incoming_connections() const = 0;
    [[nodiscard]] virtual bool invariant() const = 0;
    [[nodiscard]] virtual core::statistics stats() const = 0;

    /// With the `call` policy: "PEER: MESSAGE" for every call, in order.
    [[nodiscard]] virtual std::vector<std::string> policy_calls() const = 0;
    /// Errors that propagated out of the backend's run (`raise`, a raising `call`,
    /// fatal accept errors), as their messages, in order.
    [[nodiscard]] virtual std::vector<std::string> raised_errors() const = 0;
    /// The fault seam: the next accept calls fail with these errno values.
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

/// The `call` policy's function of every harness: records "PEER: MESSAGE" for
/// policy_calls(), then throws when the scenario asked for a raising `call`.
inline void record_policy_call(std::vector<std::string>& calls, const std::string& peer,
                               const std::exception_ptr& error, bool raises) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        calls.push_back(peer + ": " + e.what());
    }
    if (raises) throw std::runtime_error("call raised after " + calls.back());
}

}  // namespace berth::conformance
