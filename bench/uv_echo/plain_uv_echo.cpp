// The baseline: the echo server a libuv user would write by hand.
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>

#include "echo_servers.hpp"

namespace berth::bench {

namespace {

struct write_op {
    uv_write_t req;
    char data[64 * 1024];
};

void on_closed(uv_handle_t* h) {
    if (h->type == UV_TCP && h->data != nullptr) delete static_cast<uv_tcp_t*>(h->data);
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
    if (nread < 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(stream), on_closed);
    } else if (nread > 0) {
        auto* op = new write_op;
        std::memcpy(op->data, buf->base, static_cast<std::size_t>(nread));
        uv_buf_t out = uv_buf_init(op->data, static_cast<unsigned int>(nread));
        if (uv_write(&op->req, stream, &out, 1,
                     [](uv_write_t* req, int) { delete reinterpret_cast<write_op*>(req); }) != 0) {
            delete op;
        }
    }
    delete[] buf->base;
}

void on_connection(uv_stream_t* listener, int status) {
    if (status < 0) return;
    auto* client = new uv_tcp_t;
    uv_tcp_init(listener->loop, client);
    client->data = client;
    if (uv_accept(listener, reinterpret_cast<uv_stream_t*>(client)) != 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(client), on_closed);
        return;
    }
    uv_tcp_nodelay(client, 1);
    uv_read_start(
        reinterpret_cast<uv_stream_t*>(client),
        [](uv_handle_t*, std::size_t, uv_buf_t* buf) {
            *buf = uv_buf_init(new char[64 * 1024], 64 * 1024);
        },
        on_read);
}

}  // namespace

void run_plain_uv_echo(server_ready& ready) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_tcp_t listener;
    uv_tcp_init(&loop, &listener);
    listener.data = nullptr;
    sockaddr_in addr{};
    uv_ip4_addr("127.0.0.1", 0, &addr);
    uv_tcp_bind(&listener, reinterpret_cast<const sockaddr*>(&addr), 0);
    uv_listen(reinterpret_cast<uv_stream_t*>(&listener), 128, on_connection);
    sockaddr_in bound{};
    int length = sizeof(bound);
    uv_tcp_getsockname(&listener, reinterpret_cast<sockaddr*>(&bound), &length);
    uv_async_t stop;
    uv_async_init(&loop, &stop, [](uv_async_t* a) {
        uv_walk(
            a->loop,
            [](uv_handle_t* h, void*) {
                if (!uv_is_closing(h)) uv_close(h, on_closed);
            },
            nullptr);
    });
    stop.data = nullptr;
    ready.stop = &stop;
    ready.port = ntohs(bound.sin_port);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}

}  // namespace berth::bench
