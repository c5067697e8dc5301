// The public face of the Asio server: creation and what only Asio has. Everything
// a server does is the engine's (berth/engine/server.hpp).
#include "berth/asio/server.hpp"

#include <boost/asio/dispatch.hpp>

#include "io.hpp"

namespace berth::asio {

namespace {

std::shared_ptr<engine::server> make(const executor& ex, const posix::listen_spec& spec,
                                     core::options opts, engine::handler serve, bool has_handler,
                                     const char* form, server_hooks hooks, native_handler native) {
    return posix::start_server(spec, {}, opts, std::move(serve), std::move(hooks), has_handler,
                               form, "asio", [&](posix::listener l) {
                                   return std::make_unique<detail::asio_io>(ex, std::move(l),
                                                                            std::move(native));
                               });
}

detail::asio_io& io_of(const engine::server& e) {
    return static_cast<detail::asio_io&>(e.loop());
}

}  // namespace

server server::create(const executor& ex, const posix::listen_spec& spec, core::options opts,
                      reader_writer_handler handler, server_hooks hooks) {
    const bool has_handler = handler != nullptr;
    return server(
        make(ex, spec, opts, std::move(handler), has_handler, "create", std::move(hooks), {}));
}

server server::create_sock(const executor& ex, const posix::listen_spec& spec, core::options opts,
                           stream_handler handler, server_hooks hooks) {
    const bool has_handler = handler != nullptr;
    return server(
        make(ex, spec, opts, std::move(handler), has_handler, "create_sock", std::move(hooks), {}));
}

server server::create_sock(const executor& ex, const posix::listen_spec& spec, core::options opts,
                           native_handler handler, server_hooks hooks) {
    const bool has_handler = handler != nullptr;
    return server(make(ex, spec, opts, engine::native_handler{}, has_handler, "create_sock",
                       std::move(hooks), std::move(handler)));
}

void server::start_close(bool close_existing_connections, std::chrono::nanoseconds drain_timeout) {
    engine_->request_close(close_existing_connections, drain_timeout);
}

int server::listening_socket() const {
    return io_of(*engine_).listening().fd();
}

executor server::get_executor() const {
    return io_of(*engine_).get_executor();
}

namespace detail {

void register_completion(const std::shared_ptr<engine::server>& e, engine::completion_kind kind,
                         std::unique_ptr<engine::completion> completion) {
    boost::asio::dispatch(io_of(*e).get_executor(), [e, kind, c = std::move(completion)]() mutable {
        e->add_completion(kind, std::move(c));
    });
}

boost::asio::any_io_executor executor_of(const engine::server& e) {
    return io_of(e).get_executor();
}

}  // namespace detail

}  // namespace berth::asio
