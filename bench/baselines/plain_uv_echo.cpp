// plain-uv-echo: the line echo server as one would write it by hand on libuv for
// speed: the default loop on one thread, each connection with its own buffer that
// libuv reads into (the alloc callback hands out the free end of it). Every complete
// line received is sent back with uv_try_write, at once; only what the socket does
// not take goes through uv_write, and reading stops until that write is done. A
// partial line waits for its '\n'.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <vector>

#include <uv.h>

#include "server_args.hpp"

namespace {

constexpr std::size_t initial_buffer = 16 * 1024;
constexpr std::size_t max_line = 4 * 1024 * 1024;

struct connection {
    uv_tcp_t handle{};
    uv_write_t write{};
    std::vector<char> buffer = std::vector<char>(initial_buffer);
    std::size_t length = 0;  // bytes in the buffer
    std::size_t lines = 0;   // buffer[0, lines) is complete lines being written
};

connection* of(uv_handle_t* h) {
    return static_cast<connection*>(h->data);
}

void closed(uv_handle_t* h) {
    delete of(h);
}

void close_connection(connection* c) {
    if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&c->handle)) == 0) {
        uv_close(reinterpret_cast<uv_handle_t*>(&c->handle), closed);
    }
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

void allocate(uv_handle_t* h, std::size_t /*suggested*/, uv_buf_t* buf) {
    connection* c = of(h);
    if (c->length == c->buffer.size() && c->buffer.size() < max_line) {
        c->buffer.resize(c->buffer.size() * 2);
    }
    *buf = uv_buf_init(c->buffer.data() + c->length,
                       static_cast<unsigned>(c->buffer.size() - c->length));
}

// The lines are gone: keep the partial line at the front.
void shift(connection* c) {
    const std::size_t rest = c->length - c->lines;
    if (rest > 0) std::memmove(c->buffer.data(), c->buffer.data() + c->lines, rest);
    c->length = rest;
    c->lines = 0;
}

void on_written(uv_write_t* req, int status) {
    connection* c = static_cast<connection*>(req->data);
    if (status < 0) {
        close_connection(c);
        return;
    }
    shift(c);
    uv_read_start(reinterpret_cast<uv_stream_t*>(&c->handle), allocate, on_read);
}

void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* /*buf*/) {
    connection* c = of(reinterpret_cast<uv_handle_t*>(stream));
    if (nread < 0) {
        close_connection(c);  // UV_EOF or an error
        return;
    }
    if (nread == 0) return;  // EAGAIN
    const std::size_t old = c->length;
    c->length += static_cast<std::size_t>(nread);
    const void* last = ::memrchr(c->buffer.data() + old, '\n', c->length - old);
    if (last == nullptr) {
        if (c->length == c->buffer.size() && c->buffer.size() >= max_line) close_connection(c);
        return;
    }
    c->lines = static_cast<std::size_t>(static_cast<const char*>(last) - c->buffer.data()) + 1;
    uv_buf_t out = uv_buf_init(c->buffer.data(), static_cast<unsigned>(c->lines));
    const int n = uv_try_write(stream, &out, 1);
    std::size_t done = 0;
    if (n >= 0) {
        done = static_cast<std::size_t>(n);
    } else if (n != UV_EAGAIN) {
        close_connection(c);
        return;
    }
    if (done == c->lines) {
        shift(c);
        return;
    }
    // The rest goes when the socket takes it; no reading meanwhile.
    uv_read_stop(stream);
    out = uv_buf_init(c->buffer.data() + done, static_cast<unsigned>(c->lines - done));
    c->write.data = c;
    if (uv_write(&c->write, stream, &out, 1, on_written) != 0) close_connection(c);
}

void on_connection(uv_stream_t* server, int status) {
    if (status < 0) return;
    auto* c = new connection;
    uv_tcp_init(server->loop, &c->handle);
    c->handle.data = c;
    if (uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->handle)) != 0) {
        close_connection(c);
        return;
    }
    uv_tcp_nodelay(&c->handle, 1);
    uv_read_start(reinterpret_cast<uv_stream_t*>(&c->handle), allocate, on_read);
}

void on_signal(uv_signal_t* signal, int /*signum*/) {
    // Close every handle; the loop then ends by itself.
    uv_walk(
        signal->loop,
        [](uv_handle_t* h, void*) {
            if (uv_is_closing(h) != 0) return;
            if (h->type == UV_TCP && h->data != nullptr) {
                uv_close(h, closed);
            } else {
                uv_close(h, nullptr);
            }
        },
        nullptr);
}

}  // namespace

int main(int argc, char** argv) {
    const berth::bench::server_args args = berth::bench::parse_server_args(argc, argv);
    static_cast<void>(std::signal(SIGPIPE, SIG_IGN));
    uv_loop_t* loop = uv_default_loop();
    uv_tcp_t server{};
    uv_tcp_init(loop, &server);
    sockaddr_in address{};
    int rc = uv_ip4_addr(args.host.c_str(), args.port, &address);
    if (rc == 0) rc = uv_tcp_bind(&server, reinterpret_cast<const sockaddr*>(&address), 0);
    if (rc == 0)
        rc = uv_listen(reinterpret_cast<uv_stream_t*>(&server), args.backlog, on_connection);
    if (rc != 0) {
        std::fprintf(stderr, "plain-uv-echo: cannot listen on %s:%u: %s\n", args.host.c_str(),
                     static_cast<unsigned>(args.port), uv_strerror(rc));
        return 1;
    }
    int len = sizeof(address);
    uv_tcp_getsockname(&server, reinterpret_cast<sockaddr*>(&address), &len);
    berth::bench::print_listening(args.host, ntohs(address.sin_port));

    uv_signal_t sigint{};
    uv_signal_t sigterm{};
    uv_signal_init(loop, &sigint);
    uv_signal_init(loop, &sigterm);
    uv_signal_start(&sigint, on_signal, SIGINT);
    uv_signal_start(&sigterm, on_signal, SIGTERM);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
    return 0;
}
