// The accept loop's behaviour seen through a real server: an Asio server on its
// own io_context, with loopback clients, for the tests of the budget, the fault
// seam (inject_accept_faults) and shedding.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include "berth/asio/server.hpp"
#include "berth/line_protocol.hpp"
#include "loopback_peer.hpp"

namespace berth::posix::test {

using berth::test::peer;

/// Runs `ctx` until `condition` holds or `bound` passes. An exception out of run()
/// propagates.
inline bool run_until(boost::asio::io_context& ctx, const std::function<bool()>& condition,
                      std::chrono::milliseconds bound = std::chrono::seconds(2)) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        if (ctx.stopped()) ctx.restart();
        static_cast<void>(ctx.run_one_for(std::chrono::milliseconds(1)));
    }
    return true;
}

/// One Asio server serving the line protocol, and the peers its handlers were
/// called with, in the order they started.
struct line_server {
    explicit line_server(core::options o, server_hooks hooks = {})
        : s(asio::server::create(
              ctx, listen_spec::bind_to(bind_address::localhost(), bind_port::chosen_by_os()), o,
              [this](address p, reader& r, writer& w) {
                  peers.push_back(p);
                  return serve_line_protocol(p, r, w);
              },
              std::move(hooks))) {}
    line_server(const line_server&) = delete;
    line_server& operator=(const line_server&) = delete;

    /// `count` clients connected and queued in the kernel (not accepted yet).
    std::vector<std::unique_ptr<peer>> queue_clients(std::uint32_t count) {
        std::vector<std::unique_ptr<peer>> out;
        for (std::uint32_t i = 0; i < count; ++i)
            out.push_back(std::make_unique<peer>(s.listening_on_address()));
        return out;
    }
    bool run_until(const std::function<bool()>& condition,
                   std::chrono::milliseconds bound = std::chrono::seconds(2)) {
        return test::run_until(ctx, condition, bound);
    }
    /// Runs the loop one handler at a time until something was accepted: one
    /// accept batch runs whole inside one handler.
    bool run_first_batch() {
        return run_until([this] {
            return s.stats().accepted > 0 ||
                   s.stats().accept_errors_of(core::accept_error_class::out_of_resources) > 0;
        });
    }
    /// close(true), then runs until handlers_finished.
    bool close_all() {
        bool finished = false;
        s.close(true, [] {});
        s.handlers_finished([&] { finished = true; });
        return run_until([&] { return finished; });
    }

    boost::asio::io_context ctx;
    std::vector<address> peers;
    asio::server s;
};

inline core::options line_options(std::uint32_t connections_max, std::uint32_t per_batch) {
    core::options o;
    o.max_connections = connections_max;
    o.max_accepts_per_batch = per_batch;
    o.on_handler_error = core::error_policy::ignore;
    return o;
}

/// Sends a line and waits for its echo; whether it came.
inline bool echoes(line_server& srv, peer& c, const std::string& line) {
    c.send(line + "\n");
    std::optional<std::string> got;
    const bool answered = srv.run_until([&] {
        got = c.take_line();
        return got.has_value();
    });
    return answered && got == line;
}

}  // namespace berth::posix::test
