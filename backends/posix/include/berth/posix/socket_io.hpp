/// @file
/// What the real backends' primitives (engine/io.hpp) have in common, because it is
/// POSIX and not the event loop's: the listening socket, the accept call and its
/// fault seam, the shed reserve, closing sockets that never became connections, and
/// the listener's address. Asio's and libuv's io derive from it and add their loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "berth/engine/io.hpp"
#include "berth/engine/server.hpp"
#include "berth/posix/accept.hpp"
#include "berth/posix/descriptor_reserve.hpp"
#include "berth/posix/listen_spec.hpp"
#include "berth/posix/listener.hpp"

namespace berth::posix {

/// The POSIX half of a real backend's io; the loop half (now_ns, post, timers,
/// readiness, adopt) is the backend's. Owned by the engine; on the server's loop.
class socket_io : public engine::io {
public:
    /// @param l the open listener; the io owns it from now on.
    explicit socket_io(listener l) : listener_(std::move(l)) {}

    /// posix::accept_one on the listener, with the fault seam.
    /// @return the socket (a descriptor, now the engine's) and its peer, or the errno.
    [[nodiscard]] engine::accept_result accept_one() override;
    /// descriptor_reserve::restore.
    /// @return whether the reserve is held.
    [[nodiscard]] bool hold_reserve() override { return reserve_.restore(); }
    /// descriptor_reserve::release.
    void release_reserve() override { reserve_.release(); }
    /// close_connection_socket, at once.
    /// @param socket a descriptor from accept_one, closed when this returns.
    void close_socket_now(core::socket_handle socket) override;
    /// getsockname of the listener, as a berth::address.
    /// @throws std::logic_error once the listener is closed.
    [[nodiscard]] address listening_on_address() const override;
    /// Queues faults in the seam.
    /// @param error_value the errno of each.
    /// @param count how many.
    /// @throws creation_error "inject_accept_faults: the fault queue holds at most 64
    ///   runs of equal errno values".
    void inject_accept_faults(int error_value, std::uint32_t count) override;

    /// The listener; valid for the io's life.
    [[nodiscard]] const listener& listening() const { return listener_; }

protected:
    /// Closes the listening socket (removing its file if the spec asked).
    void close_listening_socket() { listener_.close(); }

private:
    listener listener_;
    accept_faults faults_;
    descriptor_reserve reserve_;
};

/// Creates a real backend's server. First it takes the socket `spec` hands over, if
/// any (SEMANTICS.md section 2: from here on every failure closes it); then it runs
/// the backend's own argument checks, checks `opts` before anything is opened
/// (creation_error), binds and listens as `spec` says (listen_error, nothing left
/// open), wraps the listener in the backend's io (`make_io`), and starts the engine.
/// Call it on the loop's thread: the engine's first accept step is armed inside.
/// @param spec where to listen.
/// @param check_backend_arguments throws creation_error for an argument only the
///   backend knows (libuv's loop); may be empty.
/// @param opts the user's options; max_connections defaults to
///   default_max_connections().
/// @param serve the handler.
/// @param hooks the user's hooks.
/// @param has_handler whether `serve` is non-empty.
/// @param form "create", "create_sock", ... for messages.
/// @param backend_name "asio" or "uv", for the description.
/// @param make_io called once, synchronously, with the open listener.
/// @return the started engine.
/// @throws creation_error for refused options, before anything is opened.
/// @throws listen_error when the listener cannot be created.
[[nodiscard]] std::shared_ptr<engine::server> start_server(
    const listen_spec& spec, const std::function<void()>& check_backend_arguments,
    core::options opts, engine::handler serve, server_hooks hooks, bool has_handler,
    const char* form, std::string_view backend_name,
    const std::function<std::unique_ptr<socket_io>(listener)>& make_io);

}  // namespace berth::posix
