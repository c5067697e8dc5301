// A scripted world around one berth::core::server: a virtual clock, a "kernel"
// that queues clients (and, for the `create` form, takes what their writers hold),
// and a driver that feeds the core one event at a time, executes the actions it
// answers with, and prints one line per event.
//
// Every step names the actions the script expects; the world also checks on its
// own that the core keeps its promises (invariant() after every call, no handler
// without an accepted socket, every socket closed exactly once). Anything else
// throws scenario_failure, so the demo doubles as an end-to-end check of the core.
#pragma once

#include <cstdint>
#include <deque>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "berth/core/server.hpp"

namespace berth::demo {

/// The core did something the script did not expect, or broke a rule.
class scenario_failure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class demo_world {
public:
    demo_world(const core::options& opts, std::ostream& out,
               core::connection_form form = core::connection_form::socket);

    /// A narration line at the current time.
    void say(std::string_view what);

    /// Moves the clock forward. Refuses to jump past an armed timer: the script
    /// must fire it with timer_fires() so that the trace shows what it did.
    void advance_to(core::time_ns t_ns);

    /// `count` new clients connect; the kernel queues them until they are accepted.
    void clients_arrive(std::uint32_t count);

    // Each of these feeds one event, prints one line, and throws scenario_failure
    // unless the actions it caused read exactly `expected` (", "-separated).
    void start(std::string_view expected);
    void readable(std::string_view expected);
    void accept_next(std::string_view expected);
    void accept_fails(int error_value, std::string_view expected);
    void batch_done(std::string_view expected);
    void handler_returns(std::string_view client, core::outcome result, std::string_view expected);
    void socket_closed(std::string_view client, std::string_view expected);
    void listener_closed(std::string_view expected);
    void close(bool close_existing_connections, std::string_view expected);
    void set_drop_mode(bool on, std::string_view expected);
    // The `create` form: the client's handler writes `bytes` (the writer keeps them
    // only if the core's books take them), and the kernel takes `bytes` of what the
    // writer holds.
    void handler_writes(std::string_view client, std::uint64_t bytes, std::string_view expected);
    void kernel_takes(std::string_view client, std::uint64_t bytes, std::string_view expected);
    /// Moves the clock to the armed timer's deadline and reports timer_fired.
    void timer_fires(std::string_view expected);

    /// Reports a handler result for a connection that is already released, and
    /// throws unless the core refuses it as stale and changes nothing.
    void late_handler_result(std::string_view client);

    /// Prints the server's description (operator<<) as it stands.
    void show_description();

    /// Final checks (every socket closed once, both completions fired, statistics
    /// as `expected`), then prints the statistics as JSON and the description.
    void finish(const core::statistics& expected);

    [[nodiscard]] const core::server& server() const { return server_; }

private:
    enum class client_state : std::uint8_t {
        queued,    // in the kernel's backlog
        accepted,  // handed to the core
        refused,   // the listener closed while it was queued
    };

    struct client {
        std::string name;
        core::socket_handle socket = 0;
        client_state state = client_state::queued;
        core::connection_id id;
        bool handler_started = false;
        bool handler_returned = false;
        bool close_requested = false;
        bool released = false;
        int closes = 0;
        std::uint64_t held = 0;  // what the client's writer holds (the `create` form)
    };

    void step(const core::event& ev, std::string_view expected);
    void drain(std::vector<std::string>& done);
    std::string execute(const core::action& a);
    void check_invariant(std::string_view when) const;
    [[noreturn]] void fail(const std::string& why) const;

    client& by_name(std::string_view name);
    client& by_socket(core::socket_handle socket);
    client& by_id(core::connection_id id);
    [[nodiscard]] std::string describe(const core::event& ev);
    [[nodiscard]] std::string connection_text(core::connection_id id, core::socket_handle socket);

    core::server server_;
    std::ostream& out_;
    core::time_ns now_ns_ = 0;
    core::time_ns timer_ns_ = core::no_deadline_ns;

    std::vector<client> clients_;      // everyone who ever connected, in arrival order
    std::deque<std::size_t> backlog_;  // indices into clients_, in the kernel's order
    bool waiting_readable_ = false;
    bool batch_open_ = false;
    bool listener_closing_ = false;
    bool listener_closed_ = false;
    bool close_completed_ = false;
    bool handlers_finished_ = false;
    std::vector<std::string> follow_ups_;  // what executing the last actions did
};

}  // namespace berth::demo
