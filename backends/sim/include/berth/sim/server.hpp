/// @file
/// A berth server in the simulated world: the engine every backend runs
/// (berth/engine/server.hpp) over the simulated kernel, in virtual time. The handler
/// is the portable one, the very function an application hands to Asio or libuv:
///
///   berth::task<> shout(berth::address peer, berth::reader& r, berth::writer& w);
///   sim::server s = sim::server::create(world, "127.0.0.1:0", opts, shout);
///
/// The `raise` policy and fatal accept errors propagate out of world::step()/run();
/// hooks, completions and notices run as later world events. Everything else is
/// berth::basic_server's.
///
/// Lifetime: the world keeps the server until the world ends. Thread safety: the
/// world is single-threaded; so is the server.
#pragma once

#include <cstdint>
#include <string>

#include "berth/basic_server.hpp"
#include "berth/core/options.hpp"
#include "berth/handler.hpp"

namespace berth::sim {

class world;
using core::socket_handle;

class server : public callback_server {
public:
    /// `listen` is "HOST:PORT" (port 0: chosen by the simulated kernel),
    /// "unix:PATH" or "unix:@NAME". `opts.max_connections` left unset means 90% of
    /// the simulated descriptor limit. Throws creation_error before creating
    /// anything if the options are refused, listen_error if the simulated kernel
    /// refuses the address (EADDRINUSE, EMFILE).
    [[nodiscard]] static server create(world& w, const std::string& listen, core::options opts,
                                       reader_writer_handler handler, server_hooks hooks = {});
    [[nodiscard]] static server create_sock(world& w, const std::string& listen, core::options opts,
                                            stream_handler handler, server_hooks hooks = {});

    /// Whether the close / handlers-finished completions are due (their callbacks
    /// run as later world events).
    [[nodiscard]] bool close_completed() const;
    [[nodiscard]] bool all_handlers_finished() const;
    /// The listening socket's simulated descriptor, 0 once closed. Accepting on it
    /// directly bypasses the limits and the error policy.
    [[nodiscard]] socket_handle listening_socket() const;
    /// Times close was called.
    [[nodiscard]] std::uint64_t close_calls() const;

private:
    using callback_server::callback_server;
};

}  // namespace berth::sim
