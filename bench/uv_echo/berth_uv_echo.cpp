// berth's side: the `create` form, read_some and write, on its own loop.
#include <array>
#include <memory>
#include <optional>

#include "berth/uv/server.hpp"
#include "echo_servers.hpp"

namespace berth::bench {

namespace {

struct session {
    uv::reader* r;
    uv::writer* w;
    uv::completion done;
    std::array<char, 64 * 1024> buffer{};
};

void echo_next(const std::shared_ptr<session>& s) {
    s->r->read_some(s->buffer, [s](std::size_t n) {
        if (n == 0) {
            s->done.finish();
            return;
        }
        s->w->write(std::string_view(s->buffer.data(), n));
        echo_next(s);
    });
}

}  // namespace

void run_berth_uv_echo(server_ready& ready) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    core::options opts;
    opts.on_handler_error = core::error_policy::ignore;
    opts.max_accepts_per_batch = 64;
    std::optional<uv::server> s;
    s.emplace(uv::server::create(
        &loop,
        posix::listen_spec::bind_to(posix::bind_address::localhost(),
                                    posix::bind_port::chosen_by_os()),
        opts, [](const posix::socket_address&, uv::reader& r, uv::writer& w, uv::completion done) {
            echo_next(std::make_shared<session>(session{&r, &w, std::move(done), {}}));
        }));
    uv_async_t stop;
    uv_async_init(&loop, &stop, [](uv_async_t* a) {
        static_cast<uv::server*>(a->data)->close(true);
        uv_close(reinterpret_cast<uv_handle_t*>(a), nullptr);
    });
    stop.data = &*s;
    ready.stop = &stop;
    ready.port = s->listening_on().port;
    static_cast<void>(uv::run(&loop, UV_RUN_DEFAULT));
    s.reset();
    uv_loop_close(&loop);
}

}  // namespace berth::bench
