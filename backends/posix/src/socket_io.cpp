#include "berth/posix/socket_io.hpp"

#include <string>

#include "berth/errors.hpp"
#include "berth/posix/close_socket.hpp"
#include "berth/posix/default_max_connections.hpp"

namespace berth::posix {

engine::accept_result socket_io::accept_one() {
    const accepted a = posix::accept_one(listener_.fd(), &faults_);
    engine::accept_result r;
    r.error_value = a.error_value;
    if (a.fd >= 0) {
        r.socket = static_cast<core::socket_handle>(a.fd);
        r.peer = a.peer.to_address();
    }
    return r;
}

void socket_io::close_socket_now(core::socket_handle socket) {
    close_connection_socket(static_cast<int>(socket));
}

address socket_io::listening_on_address() const {
    return listener_.listening_on_address().to_address();
}

void socket_io::inject_accept_faults(int error_value, std::uint32_t count) {
    if (!faults_.push(error_value, count)) {
        throw creation_error("inject_accept_faults: the fault queue holds at most " +
                             std::to_string(accept_faults::runs_max) +
                             " runs of equal errno values");
    }
}

std::shared_ptr<engine::server> start_server(
    const listen_spec& spec, const std::function<void()>& check_backend_arguments,
    core::options opts, engine::handler serve, server_hooks hooks, bool has_handler,
    const char* form, std::string_view backend_name,
    const std::function<std::unique_ptr<socket_io>(listener)>& make_io) {
    // SEMANTICS.md section 2: the server owns a handed-over socket from here on.
    handed_over_socket handed(spec);
    if (check_backend_arguments) check_backend_arguments();
    // SEMANTICS.md section 2: every option is checked before a socket is created
    // (a refusal closes only the handed-over one).
    opts = engine::checked_options(opts, hooks, default_max_connections(), has_handler, form);
    listener l = listener::create(std::move(handed), spec, opts.backlog);
    const listen_endpoint where = l.listening_on();
    auto e = std::make_shared<engine::server>(
        make_io(std::move(l)),
        engine::config{opts, std::move(serve), std::move(hooks), where, backend_name});
    e->start();
    return e;
}

}  // namespace berth::posix
