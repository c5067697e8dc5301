// The sim server's creation (options checked before anything is opened) and what
// only the simulator has. Everything a server does is the engine's.
#include "berth/sim/server.hpp"

#include <algorithm>
#include <cerrno>
#include <memory>

#include "berth/engine/server.hpp"
#include "berth/errors.hpp"
#include "io.hpp"

namespace berth::sim {

namespace {

std::shared_ptr<engine::server> make(world& w, const std::string& listen, core::options opts,
                                     engine::handler serve, bool has_handler, const char* form,
                                     server_hooks hooks) {
    // SEMANTICS.md section 2: the default limit is 90% of the descriptor limit.
    const auto default_max = std::max<std::uint32_t>(
        1, static_cast<std::uint32_t>(std::uint64_t{w.net().config().fd_limit} * 9 / 10));
    opts = engine::checked_options(opts, hooks, default_max, has_handler, form);
    const kernel::listen_result r = w.net().listen(listen, opts.backlog);
    // The step that fails so on Linux: the socket itself for want of a descriptor,
    // else the bind.
    if (r.error != 0)
        throw listen_error(r.error == EMFILE ? "socket" : "bind", listen, r.error, "");
    const std::optional<address> bound = address::parse(r.address);
    listen_endpoint where;
    where.is_unix = bound.has_value() && bound->is_unix();
    where.port = bound ? bound->port() : 0;
    if (where.is_unix) where.path = bound->to_string();
    auto loop = std::make_unique<sim_io>(w, r.handle, r.address);
    sim_io& io = *loop;
    auto e = std::make_shared<engine::server>(
        std::move(loop), engine::config{opts, std::move(serve), std::move(hooks), where, "sim"});
    // A world that ends while the server still serves takes it along.
    w.keep(e, [raw = e.get()] { raw->abandon(); });
    w.add_checked(&io);
    e->start();
    return e;
}

sim_io& io_of(const engine::server& e) {
    return static_cast<sim_io&>(e.loop());
}

}  // namespace

server server::create(world& w, const std::string& listen, core::options opts,
                      reader_writer_handler handler, server_hooks hooks) {
    const bool has_handler = handler != nullptr;
    return server(
        make(w, listen, opts, std::move(handler), has_handler, "create", std::move(hooks)));
}

server server::create_sock(world& w, const std::string& listen, core::options opts,
                           stream_handler handler, server_hooks hooks) {
    const bool has_handler = handler != nullptr;
    return server(
        make(w, listen, opts, std::move(handler), has_handler, "create_sock", std::move(hooks)));
}

bool server::close_completed() const {
    return engine_->core().close_completed();
}
bool server::all_handlers_finished() const {
    return engine_->core().handlers_finished();
}
socket_handle server::listening_socket() const {
    return io_of(*engine_).listener();
}
std::uint64_t server::close_calls() const {
    return io_of(*engine_).close_calls();
}

}  // namespace berth::sim
