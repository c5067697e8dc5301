// A connection's stream on libuv (engine::stream_io): a uv_tcp_t or uv_pipe_t over
// the accepted descriptor. Reading stays started while the engine asks for more from
// inside the read callback (a handler that reads again at once costs no
// uv_read_stop/uv_read_start pair), and stops when it does not, so that a handler
// that stops reading lets the kernel push back on the peer.
//
// The handles live in a block of their own, freed by their close callback: libuv
// may hold them after a failed open, and after the engine let go of the stream.
#include <cerrno>
#include <sys/socket.h>

#include "berth/core/detail/assert.hpp"
#include "berth/engine/connection.hpp"
#include "io.hpp"

namespace berth::uv::detail {

namespace {

class uv_stream;

// The handle comes first, so a uv_handle_t* of it converts back; its `data` is the
// native handler's.
struct handle_block {
    union {
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } u;
    uv_write_t write_req{};
    uv_shutdown_t shutdown_req{};
    uv_stream* owner = nullptr;  // null once the stream let go (a failed open)
    std::span<char> read_into;
    std::size_t write_bytes = 0;
};
static_assert(std::is_standard_layout_v<handle_block>);

handle_block* block_of(uv_handle_t* h) {
    return reinterpret_cast<handle_block*>(h);
}

class uv_stream final : public engine::stream_io {
public:
    uv_stream(uv_io& io, engine::connection& c, handle_block* b, bool native)
        : io_(&io), connection_(&c), block_(b), native_(native) {
        block_->owner = this;
    }

    uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&block_->u); }

    void read(std::span<char> into) override {
        block_->read_into = into;
        if (reading_) return;
        const int rc = uv_read_start(stream(), on_alloc, on_read);
        if (rc != 0) {
            block_->read_into = {};
            connection_->report_read_later(0, -rc);
            return;
        }
        reading_ = true;
    }

    // What the socket takes at once goes with uv_try_write, and only the rest waits
    // in a uv_write: a completed uv_write re-arms the descriptor's epoll
    // registration (libuv stops its POLLOUT watcher), one epoll_ctl per write.
    void write(std::span<const char> from) override {
        uv_buf_t buf =
            uv_buf_init(const_cast<char*>(from.data()), static_cast<unsigned int>(from.size()));
        const int sent = uv_try_write(stream(), &buf, 1);
        if (sent > 0) {
            connection_->report_written_later(static_cast<std::size_t>(sent), 0);
            return;
        }
        if (sent != UV_EAGAIN) {
            connection_->report_written_later(0, -sent);
            return;
        }
        block_->write_bytes = from.size();
        const int rc = uv_write(&block_->write_req, stream(), &buf, 1, on_write);
        if (rc != 0) connection_->report_written_later(0, -rc);
    }

    void shutdown(engine::shutdown_how how) override {
        uv_os_fd_t fd = -1;
        if (uv_fileno(reinterpret_cast<uv_handle_t*>(stream()), &fd) == 0) {
            ::shutdown(fd, how == engine::shutdown_how::write ? SHUT_WR : SHUT_RDWR);
        }
    }

    // The native form waits for its handler (see server.hpp) and flushes what the
    // handler queued; the portable forms' writes are over when the core says close.
    void close() override {
        BERTH_ASSERT(!closing_);
        closing_ = true;
        stop_reading();
        if (native_ && connection_->handler_running()) {
            shutdown(engine::shutdown_how::both);
            connection_->arm_io_deadline(io_->now_ns() + final_flush_timeout_ns());
            return;
        }
        if (native_) {
            flush_then_close();
            return;
        }
        close_handle();
    }

    void on_handler_done() override {
        if (closing_ && !handle_closing_) flush_then_close();
    }

    void on_io_deadline() override {
        if (!handle_closing_) close_handle();
    }

    [[nodiscard]] native_handle_type native_handle() const override {
        uv_os_fd_t fd = -1;
        if (handle_closing_) return -1;
        if (uv_fileno(reinterpret_cast<const uv_handle_t*>(&block_->u), &fd) != 0) return -1;
        return fd;
    }

private:
    [[nodiscard]] core::time_ns final_flush_timeout_ns() const {
        return connection_->owner().core().opts().final_flush_timeout_ns;
    }

    void stop_reading() {
        if (!reading_) return;
        static_cast<void>(uv_read_stop(stream()));
        reading_ = false;
        block_->read_into = {};
    }

    // uv_shutdown sends what the native handler queued, then the FIN; bounded by the
    // final flush timeout.
    void flush_then_close() {
        const int rc = uv_shutdown(&block_->shutdown_req, stream(), on_shutdown);
        if (rc != 0) {  // already shut down, or not writable: nothing to flush
            close_handle();
            return;
        }
        connection_->arm_io_deadline(io_->now_ns() + final_flush_timeout_ns());
    }

    void close_handle() {
        if (handle_closing_) return;
        handle_closing_ = true;
        connection_->arm_io_deadline(core::no_deadline_ns);
        stop_reading();
        // The peer sees the end even if a duplicate of the descriptor lives on.
        shutdown(engine::shutdown_how::both);
        uv_close(reinterpret_cast<uv_handle_t*>(&block_->u), on_closed);
    }

    static void on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
        const std::span<char> into = block_of(h)->read_into;
        *buf = uv_buf_init(into.data(), static_cast<unsigned int>(into.size()));
    }

    static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t*) {
        handle_block* b = block_of(reinterpret_cast<uv_handle_t*>(s));
        uv_stream* self = b->owner;
        if (nread == 0) return;  // EAGAIN: nothing this time
        if (b->read_into.empty()) {
            // Nobody asked (ENOBUFS from an empty buffer): stop until somebody does.
            self->stop_reading();
            return;
        }
        b->read_into = {};
        if (nread > 0) {
            self->connection_->on_read(static_cast<std::size_t>(nread), 0);
        } else {
            self->stop_reading();
            self->connection_->on_read(0, nread == UV_EOF ? 0 : static_cast<int>(-nread));
        }
        // The engine may have asked for more from inside the callback; if not,
        // reading pauses.
        if (!self->closing_ && b->read_into.empty()) self->stop_reading();
    }

    static void on_write(uv_write_t* req, int status) {
        handle_block* b = block_of(reinterpret_cast<uv_handle_t*>(req->handle));
        uv_stream* self = b->owner;
        if (self->closing_) return;  // cancelled by the close: nothing to report
        self->connection_->on_written(status == 0 ? b->write_bytes : 0, -status);
    }

    static void on_shutdown(uv_shutdown_t* req, int) {
        uv_stream* self = block_of(reinterpret_cast<uv_handle_t*>(req->handle))->owner;
        self->close_handle();
    }

    static void on_closed(uv_handle_t* h) {
        handle_block* b = block_of(h);
        uv_stream* self = b->owner;
        delete b;
        if (self != nullptr) self->connection_->on_closed();  // may free *self
    }

    uv_io* io_;
    engine::connection* connection_;
    handle_block* block_;
    bool native_;
    bool reading_ = false;
    bool closing_ = false;         // close() ran
    bool handle_closing_ = false;  // uv_close ran
};

void free_block(uv_handle_t* h) {
    delete block_of(h);
}

}  // namespace

std::unique_ptr<engine::stream_io> make_stream(uv_io& io, engine::connection& c, int fd,
                                               bool native) {
    auto* b = new handle_block;
    const bool is_unix = io.listening().family() == AF_UNIX;
    int rc = is_unix ? uv_pipe_init(io.loop(), &b->u.pipe, 0) : uv_tcp_init(io.loop(), &b->u.tcp);
    if (rc != 0) {
        delete b;  // nothing registered with the loop
        throw std::system_error(-rc, std::generic_category(), "cannot create a libuv stream");
    }
    rc = is_unix ? uv_pipe_open(&b->u.pipe, fd) : uv_tcp_open(&b->u.tcp, fd);
    if (rc != 0) {
        // libuv did not take the descriptor (the engine closes it), but the handle is
        // registered: it goes through uv_close.
        uv_close(reinterpret_cast<uv_handle_t*>(&b->u), free_block);
        throw std::system_error(-rc, std::generic_category(),
                                "cannot hand the accepted socket to libuv");
    }
    b->u.tcp.data = nullptr;  // the native handler's
    return std::make_unique<uv_stream>(io, c, b, native);
}

uv_stream_t* uv_stream_of(engine::stream_io& s) {
    return static_cast<uv_stream&>(s).stream();
}

}  // namespace berth::uv::detail
