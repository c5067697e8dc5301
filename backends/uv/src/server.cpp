// The public face of the libuv server: creation and what only libuv has. Everything
// a server does is the engine's (berth/engine/server.hpp).
#include "berth/uv/server.hpp"

#include "berth/errors.hpp"
#include "io.hpp"

namespace berth::uv {

namespace {

std::shared_ptr<engine::server> make(uv_loop_t* loop, const posix::listen_spec& spec,
                                     core::options opts, engine::handler serve, bool has_handler,
                                     const char* form, server_hooks hooks, native_handler native) {
    const auto check_loop = [loop, form] {
        if (loop == nullptr) throw creation_error(std::string(form) + ": the uv_loop_t is null");
    };
    return posix::start_server(spec, check_loop, opts, std::move(serve), std::move(hooks),
                               has_handler, form, "uv", [&](posix::listener l) {
                                   return std::make_unique<detail::uv_io>(loop, std::move(l),
                                                                          std::move(native));
                               });
}

detail::uv_io& io_of(const engine::server& e) {
    return static_cast<detail::uv_io&>(e.loop());
}

}  // namespace

server server::create(uv_loop_t* loop, const posix::listen_spec& spec, core::options opts,
                      reader_writer_handler handler, server_hooks hooks) {
    const bool has_handler = handler != nullptr;
    return server(
        make(loop, spec, opts, std::move(handler), has_handler, "create", std::move(hooks), {}));
}

server server::create_sock(uv_loop_t* loop, const posix::listen_spec& spec, core::options opts,
                           stream_handler handler, server_hooks hooks) {
    const bool has_handler = handler != nullptr;
    return server(make(loop, spec, opts, std::move(handler), has_handler, "create_sock",
                       std::move(hooks), {}));
}

server server::create_sock(uv_loop_t* loop, const posix::listen_spec& spec, core::options opts,
                           native_handler handler, server_hooks hooks) {
    const bool has_handler = handler != nullptr;
    return server(make(loop, spec, opts, engine::native_handler{}, has_handler, "create_sock",
                       std::move(hooks), std::move(handler)));
}

int server::listening_socket() const {
    return io_of(*engine_).listening().fd();
}

uv_loop_t* server::loop() const {
    return io_of(*engine_).loop();
}

}  // namespace berth::uv
