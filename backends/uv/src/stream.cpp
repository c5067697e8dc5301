// A connection's life in the libuv driver: the handler's start, the reader of
// `create`, and the socket's close (shutdown, the final flush, uv_close of the
// stream and of the connection's timer, then socket_closed).
#include <algorithm>
#include <cstring>
#include <string>
#include <sys/socket.h>

#include "berth/core/detail/assert.hpp"
#include "berth/posix/close_socket.hpp"
#include "server_impl.hpp"

namespace berth::uv::detail {

namespace {

// Bytes asked of the kernel per read: large enough for a burst, small enough that
// an idle connection's buffer stays small.
constexpr std::size_t read_chunk_bytes = 64 * 1024;

connection* connection_of(uv_handle_t* handle) {
    // Both handles are the first member of a standard-layout wrapper.
    if (handle->type == UV_TIMER) return reinterpret_cast<timer_handle*>(handle)->owner;
    return reinterpret_cast<stream_handle*>(handle)->owner;
}

std::exception_ptr uv_failure(const char* what, int rc) {
    return std::make_exception_ptr(std::system_error(-rc, std::generic_category(),
                                                     std::string(what) + ": " + uv_strerror(rc)));
}

}  // namespace

// --- Start ---------------------------------------------------------------------------

void server_impl::start_handler(const core::actions::start_handler& a) {
    auto c = std::make_shared<connection>();
    connections.place(a.id, c);
    c->owner = this;
    c->id = a.id;
    c->peer = accepting_.take_peer(a.socket);
    c->stream.owner = c.get();
    c->timer.owner = c.get();
    const int fd = static_cast<int>(a.socket);
    int rc = 0;
    if (listen.family() == AF_UNIX) {
        rc = uv_pipe_init(loop, &c->stream.u.pipe, 0);
        if (rc == 0) rc = uv_pipe_open(&c->stream.u.pipe, fd);
    } else {
        rc = uv_tcp_init(loop, &c->stream.u.tcp);
        if (rc == 0) rc = uv_tcp_open(&c->stream.u.tcp, fd);
    }
    c->stream.u.tcp.data = nullptr;  // the handler's
    static_cast<void>(uv_timer_init(loop, &c->timer.timer));
    c->handles_open = 2;
    completion done(shared_from_this(), c);
    if (rc != 0) {
        // libuv did not take the descriptor: it is ours to close.
        posix::close_connection_socket(fd);
        done.fail(uv_failure("cannot hand the accepted socket to libuv", rc));
        return;
    }
    c->fd_owned = true;
    try {
        if (stream_fn) {
            c->st.emplace(core.opts());
            c->rd.emplace(*c);
            c->wr.emplace(*c);
            stream_fn(c->peer, *c->rd, *c->wr, done);
        } else {
            sock_fn(c->peer, c->uv_stream(), done);
        }
    } catch (...) {
        done.fail(std::current_exception());  // ignored if it completed before throwing
    }
}

void server_impl::decide(connection& c, std::exception_ptr error) {
    if (c.result_decided) return;
    c.result_decided = true;
    c.error = std::move(error);
}

void server_impl::handler_done(connection& c, std::exception_ptr error) {
    if (c.handler_returned || c.released) return;
    c.handler_returned = true;
    const bool failed = error != nullptr;
    decide(c, std::move(error));
    if (c.st) {
        // A read still outstanding is the handler's no more.
        c.st->kind = read_kind::none;
        c.st->size_done = nullptr;
        c.st->line_done = nullptr;
    }
    // Closing under a running sock handler waited for it (see server.hpp).
    if (c.closing && !c.st) start_shutdown(c);
    feed(core::events::handler_returned{c.id, failed ? core::outcome::error : core::outcome::ok});
}

// --- Close -----------------------------------------------------------------------------

void server_impl::close_socket(const core::actions::close_socket& a) {
    if (!a.handler_started) {
        static_cast<void>(accepting_.take_peer(a.socket));
        posix::close_connection_socket(static_cast<int>(a.socket));
        feed(core::events::socket_closed{a.id});
        return;
    }
    connection* c = connections.find(a.id);
    BERTH_ASSERT(c != nullptr && !c->closing);
    c->closing = true;
    if (!c->fd_owned) {
        finish_close(*c);
    } else if (c->st) {
        end_reads_by_server(*c);
        c->st->tracker.begin_close(now_ns());
        evaluate_writer(*c);  // closes now, or when the final flush is done
    } else if (c->handler_returned) {
        start_shutdown(*c);
    } else {
        // The handler still runs: shutting down wakes its read with UV_EOF and
        // fails its writes; the handle is closed when it completes, or at the
        // final flush timeout.
        uv_os_fd_t fd = -1;
        if (uv_fileno(reinterpret_cast<uv_handle_t*>(c->uv_stream()), &fd) == 0) {
            ::shutdown(fd, SHUT_RDWR);
        }
        arm_connection_timer(*c, now_ns() + core.opts().final_flush_timeout_ns);
    }
}

// The sock form's orderly end: uv_shutdown flushes what the handler queued, then
// closes; bounded by the final flush timeout.
void server_impl::start_shutdown(connection& c) {
    if (c.fd_closed) return;
    const int rc = uv_shutdown(&c.shutdown_req, c.uv_stream(), on_shutdown);
    if (rc != 0) {  // already shut down, or not writable: nothing to flush
        finish_close(c);
        return;
    }
    c.shutdown_req.data = &c;
    arm_connection_timer(c, now_ns() + core.opts().final_flush_timeout_ns);
}

void server_impl::on_shutdown(uv_shutdown_t* req, int) {
    auto* c = static_cast<connection*>(req->data);
    if (c->fd_closed) return;  // cancelled by the close
    c->owner->finish_close(*c);
}

void server_impl::finish_close(connection& c) {
    if (c.fd_closed) return;
    c.fd_closed = true;
    static_cast<void>(uv_timer_stop(&c.timer.timer));
    if (c.st && c.st->reading) {
        static_cast<void>(uv_read_stop(c.uv_stream()));
        c.st->reading = false;
    }
    uv_os_fd_t fd = -1;
    if (c.fd_owned && uv_fileno(reinterpret_cast<uv_handle_t*>(c.uv_stream()), &fd) == 0) {
        // The peer sees the end even if a duplicate of the descriptor lives on.
        ::shutdown(fd, SHUT_RDWR);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(c.uv_stream()), on_connection_handle_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&c.timer.timer), on_connection_handle_closed);
}

void server_impl::on_connection_handle_closed(uv_handle_t* handle) {
    connection* c = connection_of(handle);
    BERTH_ASSERT(c->handles_open > 0);
    if (--c->handles_open > 0) return;
    // Releasing may free *c: nothing is touched after this.
    c->owner->feed(core::events::socket_closed{c->id});
}

void server_impl::arm_connection_timer(connection& c, core::time_ns deadline_ns) {
    if (deadline_ns == core::no_deadline_ns) {
        static_cast<void>(uv_timer_stop(&c.timer.timer));
        return;
    }
    start_timer_at(&c.timer.timer, on_connection_timer, deadline_ns);
}

void server_impl::on_connection_timer(uv_timer_t* handle) {
    connection* c = connection_of(reinterpret_cast<uv_handle_t*>(handle));
    if (c->fd_closed) return;
    if (c->st) {
        c->st->check_at_ns = core::no_deadline_ns;
        c->owner->evaluate_writer(*c);
    } else {
        c->owner->finish_close(*c);  // the sock form's close bound
    }
}

// --- The reader of `create` ----------------------------------------------------------

void server_impl::end_reads_by_server(connection& c) {
    stream_state& s = *c.st;
    if (s.reading) {
        static_cast<void>(uv_read_stop(c.uv_stream()));
        s.reading = false;
    }
    if (!s.at_end) {
        s.at_end = true;
        s.end_reason = UV_ECANCELED;
    }
    if (s.kind != read_kind::none) post_delivery(c);
}

void server_impl::request_read(connection& c, read_kind kind, std::span<char> into,
                               reader::size_callback size_done, reader::line_callback line_done) {
    BERTH_ASSERT(c.st.has_value());
    stream_state& s = *c.st;
    BERTH_ASSERT(s.kind == read_kind::none);  // one read at a time
    if (c.handler_returned || c.released) return;
    s.kind = kind;
    s.into = into;
    s.into_done = 0;
    s.size_done = std::move(size_done);
    s.line_done = std::move(line_done);
    if (read_ready(c)) {
        post_delivery(c);  // never inside the call that started the read
    } else {
        read_more(c);
    }
}

void server_impl::post_delivery(connection& c) {
    stream_state& s = *c.st;
    if (s.delivery_posted) return;
    s.delivery_posted = true;
    post([cp = connections.shared(c.id)] {
        cp->st->delivery_posted = false;
        if (cp->released || cp->handler_returned) return;
        cp->owner->deliver_read(*cp);
    });
}

void server_impl::read_more(connection& c) {
    stream_state& s = *c.st;
    if (s.reading || s.at_end || c.fd_closed) return;
    const int rc = uv_read_start(c.uv_stream(), on_alloc, on_read);
    if (rc != 0) {
        s.at_end = true;
        s.end_reason = rc;
        post_delivery(c);
        return;
    }
    s.reading = true;
}

bool server_impl::read_ready(const connection& c) const {
    const stream_state& s = *c.st;
    const std::size_t buffered = s.in.size() - s.in_head;
    switch (s.kind) {
        case read_kind::none: return false;
        case read_kind::some: return s.at_end || buffered > 0 || s.into.empty();
        case read_kind::exactly: return s.at_end || buffered >= s.into.size() - s.into_done;
        case read_kind::line:
            return s.at_end || buffered > reader::line_length_max ||
                   std::memchr(s.in.data() + s.in_head, '\n', buffered) != nullptr;
    }
    return false;
}

void server_impl::on_alloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
    stream_state& s = *connection_of(handle)->st;
    if (s.in_head > 0 && s.in_head * 2 >= s.in.size()) {
        s.in.erase(0, s.in_head);
        s.in_head = 0;
    }
    s.read_base = s.in.size();
    s.in.resize(s.read_base + read_chunk_bytes);
    *buf = uv_buf_init(s.in.data() + s.read_base, static_cast<unsigned int>(read_chunk_bytes));
}

void server_impl::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
    connection& c = *connection_of(reinterpret_cast<uv_handle_t*>(stream));
    stream_state& s = *c.st;
    s.in.resize(s.read_base + (nread > 0 ? static_cast<std::size_t>(nread) : 0));
    if (nread < 0) {
        // End of stream or a reset: the normal end of a connection, not a failure.
        static_cast<void>(uv_read_stop(stream));
        s.reading = false;
        s.at_end = true;
        s.end_reason = static_cast<int>(nread);
    }
    if (c.owner->read_ready(c)) {
        c.owner->deliver_read(c);
    } else if (s.kind == read_kind::none && s.reading) {
        // Nobody is reading: let the kernel's buffer push back on the peer.
        static_cast<void>(uv_read_stop(stream));
        s.reading = false;
    }
}

void server_impl::deliver_read(connection& c) {
    stream_state& s = *c.st;
    const std::size_t buffered = s.in.size() - s.in_head;
    const read_kind kind = s.kind;
    s.kind = read_kind::none;
    reader::size_callback size_done = std::move(s.size_done);
    reader::line_callback line_done = std::move(s.line_done);
    s.size_done = nullptr;
    s.line_done = nullptr;
    try {
        switch (kind) {
            case read_kind::none: return;
            case read_kind::some:
            case read_kind::exactly: {
                const std::size_t n = std::min(buffered, s.into.size() - s.into_done);
                if (n > 0) std::memcpy(s.into.data() + s.into_done, s.in.data() + s.in_head, n);
                s.in_head += n;
                s.into_done += n;
                size_done(s.into_done);
                break;
            }
            case read_kind::line: {
                const char* begin = s.in.data() + s.in_head;
                const auto* nl = static_cast<const char*>(std::memchr(begin, '\n', buffered));
                std::optional<std::string> line;
                if (nl != nullptr) {
                    const auto length = static_cast<std::size_t>(nl - begin);
                    if (length > reader::line_length_max) {
                        throw line_too_long("line longer than " +
                                            std::to_string(reader::line_length_max) + " bytes");
                    }
                    line.emplace(begin, length);
                    s.in_head += length + 1;
                } else if (buffered > reader::line_length_max) {
                    throw line_too_long("line longer than " +
                                        std::to_string(reader::line_length_max) + " bytes");
                } else if (buffered > 0) {  // at the end: the unterminated rest
                    line.emplace(begin, buffered);
                    s.in_head += buffered;
                }
                if (line && !line->empty() && line->back() == '\r') line->pop_back();
                line_done(std::move(line));
                break;
            }
        }
    } catch (...) {
        handler_done(c, std::current_exception());
        return;
    }
    // The callback may have started the next read; if not, reading pauses.
    if (!c.released && s.kind == read_kind::none && s.reading) {
        static_cast<void>(uv_read_stop(c.uv_stream()));
        s.reading = false;
    }
}

}  // namespace berth::uv::detail
