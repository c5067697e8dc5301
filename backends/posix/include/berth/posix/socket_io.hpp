// What the real backends' primitives (engine/io.hpp) have in common, because it is
// POSIX and not the event loop's: the listening socket, the accept call and its
// fault seam, the shed reserve, closing sockets that never became connections, and
// the listener's address. Asio's and libuv's io derive from it and add their loop.
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

class socket_io : public engine::io {
public:
    explicit socket_io(listener l) : listener_(std::move(l)) {}

    [[nodiscard]] engine::accept_result accept_one() override;
    [[nodiscard]] bool hold_reserve() override { return reserve_.restore(); }
    void release_reserve() override { reserve_.release(); }
    void close_socket_now(core::socket_handle socket) override;
    [[nodiscard]] address listening_on_address() const override;
    void inject_accept_faults(int error_value, std::uint32_t count) override;

    [[nodiscard]] const listener& listening() const { return listener_; }

protected:
    /// Closes the listening socket (removing its file if the spec asked).
    void close_listening_socket() { listener_.close(); }

private:
    listener listener_;
    accept_faults faults_;
    descriptor_reserve reserve_;
};

/// Creates a real backend's server: checks `opts` before anything is opened
/// (creation_error), binds and listens as `spec` says (listen_error, nothing left
/// open), wraps the listener in the backend's io (`make_io`), and starts the engine.
/// `handed` is the socket `spec` hands over, taken by the backend's create before
/// its own first check (SEMANTICS.md section 2): every failure closes it.
[[nodiscard]] std::shared_ptr<engine::server> start_server(
    handed_over_socket handed, const listen_spec& spec, core::options opts, engine::handler serve,
    server_hooks hooks, bool has_handler, const char* form, std::string_view backend_name,
    const std::function<std::unique_ptr<socket_io>(listener)>& make_io);

}  // namespace berth::posix
