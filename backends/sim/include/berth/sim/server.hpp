/// @file
/// A berth server in the simulated world: the engine every backend runs
/// (berth/engine/server.hpp) over the simulated kernel, in virtual time. The handler
/// is the portable one, the very function an application hands to Asio or libuv:
///
/// @code{.cpp}
///   berth::task<> shout(berth::address peer, berth::reader& r, berth::writer& w);
///   sim::server s = sim::server::create(world, "127.0.0.1:0", opts, shout);
/// @endcode
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

/// A handle to a server in a simulated world. Its close callbacks (callback_server)
/// run as later world events, never inside the call.
class server : public callback_server {
public:
    /// `listen` is "HOST:PORT" (port 0: chosen by the simulated kernel),
    /// "unix:PATH" or "unix:\@NAME". `opts.max_connections` left unset means 90% of
    /// the simulated descriptor limit.
    /// @param w the world; the server lives in it, and goes with it.
    /// @param listen the address, as above.
    /// @param opts copied.
    /// @param handler the portable handler, called as a world event per connection.
    /// @param hooks kept for the server's life.
    /// @return a handle.
    /// @throws creation_error before creating anything if the options are refused.
    /// @throws listen_error "bind ADDRESS failed: EADDRINUSE (...)" or "socket ...
    ///   failed: EMFILE (...)" if the simulated kernel refuses the address.
    [[nodiscard]] static server create(world& w, const std::string& listen, core::options opts,
                                       reader_writer_handler handler, server_hooks hooks = {});
    /// create with the portable stream form.
    /// @param w as for create.
    /// @param listen as for create.
    /// @param opts as for create.
    /// @param handler called for each connection with its stream.
    /// @param hooks as for create.
    /// @return a handle.
    /// @throws creation_error as create.
    /// @throws listen_error as create.
    [[nodiscard]] static server create_sock(world& w, const std::string& listen, core::options opts,
                                            stream_handler handler, server_hooks hooks = {});

    /// Whether the close / handlers-finished completions are due (their callbacks
    /// run as later world events).
    [[nodiscard]] bool close_completed() const;
    /// Whether the handlers-finished completion is due: the listener is closed and
    /// no connection remains.
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
