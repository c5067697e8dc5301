// The backend-neutral harness of the conformance scenarios. Each backend (sim now,
// Asio and libuv later with real loopback sockets) implements it once; the
// scenarios are written against it only.
//
// The server under test always runs the line protocol of
// backends/sim/include/berth/sim/line_protocol.hpp (each line echoed; `quit` ->
// `bye` and the handler finishes; `fail` -> the handler fails with "fail
// requested"; `sleep MS` -> it pauses; otherwise it blocks reading), so what a
// handler does is chosen by the client and the harness needs no hooks into it.
//
// Times: virtual in the simulator, real elapsed time in real backends. Scenarios
// keep them short (tens of milliseconds) and only ever wait with a bound.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "berth/core/options.hpp"
#include "berth/core/statistics.hpp"

namespace berth::conformance {

using core::time_ns;
inline constexpr time_ns ms = core::ns_per_ms;

enum class handler_form : std::uint8_t {
    sock,    // create_sock
    stream,  // create (reader and buffered writer)
};

struct server_config {
    core::options opts;
    handler_form form = handler_form::sock;
    std::string listen = "127.0.0.1:0";
};

using client_id = std::uint32_t;

class harness {
public:
    virtual ~harness() = default;

    /// Creates the server; a scenario's first call.
    virtual void start_server(const server_config& config) = 0;

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
    /// Errors that propagated out of the backend's run (`raise`, fatal accept
    /// errors), as their messages, in order.
    [[nodiscard]] virtual std::vector<std::string> raised_errors() const = 0;
    /// The fault seam: the next accept calls fail with these errno values.
    virtual void inject_accept_errors(const std::vector<int>& errors) = 0;
};

/// Implemented once per backend.
std::unique_ptr<harness> make_harness();

}  // namespace berth::conformance
