#include "berth/uv/line_protocol.hpp"

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace berth::uv {

namespace {

using driver::flood_chunk_bytes;
using driver::line_command_kind;

constexpr std::size_t sock_read_chunk_bytes = 64 * 1024;

// The answer to "read N": the bytes on one line after their count.
std::string read_answer(std::string_view bytes) {
    return "got " + std::to_string(bytes.size()) + ":" + std::string(bytes) + "\n";
}

// Runs `fn` once after `ms` milliseconds, on a timer of its own that closes itself.
void after_ms(uv_loop_t* loop, std::int64_t ms, std::function<void()> fn) {
    struct pending {
        uv_timer_t timer;
        std::function<void()> fn;
    };
    auto* p = new pending{uv_timer_t{}, std::move(fn)};
    static_cast<void>(uv_timer_init(loop, &p->timer));
    p->timer.data = p;
    static_cast<void>(uv_timer_start(
        &p->timer,
        [](uv_timer_t* t) {
            auto* self = static_cast<pending*>(t->data);
            std::function<void()> run = std::move(self->fn);
            uv_close(reinterpret_cast<uv_handle_t*>(t),
                     [](uv_handle_t* h) { delete static_cast<pending*>(h->data); });
            run();
        },
        static_cast<std::uint64_t>(ms), 0));
}

// --- The create form ------------------------------------------------------------------

struct stream_session {
    uv_loop_t* loop;
    reader* r;
    writer* w;
    completion done;
};

void serve_next(const std::shared_ptr<stream_session>& s);

void serve_line(const std::shared_ptr<stream_session>& s, std::string line) {
    const driver::line_command command = driver::parse_line_command(line);
    switch (command.kind) {
        case line_command_kind::fail: throw std::runtime_error(driver::fail_requested);
        case line_command_kind::quit:
            s->w->write("bye\n");
            s->done.finish();
            return;
        case line_command_kind::flood: {
            const std::string chunk(flood_chunk_bytes, 'x');
            for (std::uint64_t left = command.amount; left > 0 && s->w->accepts_writes();) {
                const std::size_t n = std::min<std::uint64_t>(left, chunk.size());
                s->w->write(std::string_view(chunk).substr(0, n));
                left -= n;
            }
            serve_next(s);
            return;
        }
        case line_command_kind::sleep:
            after_ms(s->loop, static_cast<std::int64_t>(command.amount),
                     [s, echo = std::move(line)]() mutable {
                         echo.push_back('\n');
                         s->w->write(echo);
                         serve_next(s);
                     });
            return;
        case line_command_kind::read: {
            // The buffer must outlive the read: the callback owns it.
            auto bytes =
                std::make_shared<std::string>(static_cast<std::size_t>(command.amount), '\0');
            s->r->read_exactly(*bytes, [s, bytes](std::size_t n) {
                if (n < bytes->size()) {
                    s->done.finish();  // the peer went away: a normal end
                    return;
                }
                s->w->write(read_answer(*bytes));
                serve_next(s);
            });
            return;
        }
        case line_command_kind::echo: break;
    }
    line.push_back('\n');
    s->w->write(line);
    serve_next(s);
}

void serve_next(const std::shared_ptr<stream_session>& s) {
    if (s->done.is_done()) return;
    s->r->read_line([s](std::optional<std::string> line) {
        if (!line) {
            s->done.finish();  // the peer went away: a normal end
            return;
        }
        serve_line(s, std::move(*line));  // a throw here is the handler's failure
    });
}

// --- The create_sock form ---------------------------------------------------------------

// One connection's state. Freed once the handler has completed and no write or
// timer of it is outstanding.
struct sock_session {
    uv_loop_t* loop;
    uv_stream_t* stream;
    completion done;
    std::string in;
    std::size_t read_base = 0;
    std::size_t bytes_wanted = 0;  // a "read N" waits for N bytes in `in`
    int outstanding = 0;           // writes and sleeps in flight
    bool busy = false;             // a sleep or a flood runs: lines wait
    bool reading = false;
    bool ended = false;

    void maybe_free() {
        if (ended && outstanding == 0) delete this;
    }
};

void sock_pump(sock_session* s);

void sock_end(sock_session* s, std::exception_ptr error) {
    if (s->ended) return;
    s->ended = true;
    if (s->reading) static_cast<void>(uv_read_stop(s->stream));
    s->reading = false;
    s->stream->data = nullptr;
    if (error) {
        s->done.fail(std::move(error));
    } else {
        s->done.finish();
    }
}

// Writes `data`, then runs `then(ok)`.
void sock_write(sock_session* s, std::string data, std::function<void(bool)> then) {
    struct op {
        uv_write_t req;
        std::string data;
        sock_session* s;
        std::function<void(bool)> then;
    };
    auto* o = new op{uv_write_t{}, std::move(data), s, std::move(then)};
    o->req.data = o;
    uv_buf_t buf = uv_buf_init(o->data.data(), static_cast<unsigned int>(o->data.size()));
    ++s->outstanding;
    const auto on_written = [](uv_write_t* req, int status) {
        std::unique_ptr<op> done(static_cast<op*>(req->data));
        sock_session* session = done->s;
        --session->outstanding;
        if (!session->ended) done->then(status == 0);
        session->maybe_free();
    };
    if (uv_write(&o->req, s->stream, &buf, 1, on_written) != 0) {
        --s->outstanding;
        delete o;
        sock_end(s, nullptr);  // the peer or the server closed it: a normal end
    }
}

void sock_flood(sock_session* s, std::uint64_t left) {
    if (left == 0) {
        s->busy = false;
        sock_pump(s);
        return;
    }
    const std::size_t n = std::min<std::uint64_t>(left, flood_chunk_bytes);
    sock_write(s, std::string(n, 'x'), [s, left, n](bool ok) {
        if (!ok) {
            sock_end(s, nullptr);
            return;
        }
        sock_flood(s, left - n);
    });
}

void sock_on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t*);

void sock_start_reading(sock_session* s) {
    if (s->reading || s->ended) return;
    const int rc = uv_read_start(
        s->stream,
        [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
            auto* self = static_cast<sock_session*>(h->data);
            self->read_base = self->in.size();
            self->in.resize(self->read_base + sock_read_chunk_bytes);
            *buf = uv_buf_init(self->in.data() + self->read_base,
                               static_cast<unsigned int>(sock_read_chunk_bytes));
        },
        sock_on_read);
    if (rc != 0) {
        sock_end(s, nullptr);
        return;
    }
    s->reading = true;
}

// Serves one line of the create_sock form. Returns false when the session must
// stop taking lines (it ended, or waits for a write or a sleep).
bool sock_serve_line(sock_session* s, std::string line) {
    const driver::line_command command = driver::parse_line_command(line);
    switch (command.kind) {
        case line_command_kind::fail:
            sock_end(s, std::make_exception_ptr(std::runtime_error(driver::fail_requested)));
            return false;
        case line_command_kind::quit:
            s->busy = true;
            sock_write(s, "bye\n", [s](bool) { sock_end(s, nullptr); });
            return false;
        case line_command_kind::flood:
            s->busy = true;
            sock_flood(s, command.amount);
            return true;
        case line_command_kind::read:
            s->bytes_wanted = static_cast<std::size_t>(command.amount);
            return true;
        case line_command_kind::sleep:
            s->busy = true;
            ++s->outstanding;
            after_ms(s->loop, static_cast<std::int64_t>(command.amount),
                     [s, echo = line + "\n"]() mutable {
                         --s->outstanding;
                         if (!s->ended) {
                             sock_write(s, std::move(echo), [s](bool ok) {
                                 if (!ok) return sock_end(s, nullptr);
                                 s->busy = false;
                                 sock_pump(s);
                             });
                         }
                         s->maybe_free();
                     });
            return false;
        case line_command_kind::echo: break;
    }
    line.push_back('\n');
    sock_write(s, std::move(line), [s](bool ok) {
        if (!ok) sock_end(s, nullptr);
    });
    return true;
}

// Answers a "read N" once its N bytes are in.
void sock_answer_read(sock_session* s) {
    std::string answer = read_answer(std::string_view(s->in).substr(0, s->bytes_wanted));
    s->in.erase(0, s->bytes_wanted);
    s->bytes_wanted = 0;
    sock_write(s, std::move(answer), [s](bool ok) {
        if (!ok) sock_end(s, nullptr);
    });
}

// Serves the complete lines (and the bytes a "read N" waits for) received, until
// one makes the session busy.
void sock_pump(sock_session* s) {
    // Bounded by the buffer: every turn consumes a line or a read's bytes.
    while (!s->ended && !s->busy) {
        if (s->bytes_wanted > 0) {
            if (s->in.size() < s->bytes_wanted) {
                sock_start_reading(s);
                break;
            }
            sock_answer_read(s);
            continue;
        }
        const std::size_t nl = s->in.find('\n');
        if (nl == std::string::npos) {
            sock_start_reading(s);
            break;
        }
        std::string line = s->in.substr(0, nl);
        s->in.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!sock_serve_line(s, std::move(line))) break;
    }
    if (s->busy && s->reading) {
        static_cast<void>(uv_read_stop(s->stream));
        s->reading = false;
    }
}

void sock_on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
    auto* s = static_cast<sock_session*>(stream->data);
    s->in.resize(s->read_base + (nread > 0 ? static_cast<std::size_t>(nread) : 0));
    if (nread < 0) {
        // End of stream, a reset, or the server shut the socket down: a normal end.
        sock_end(s, nullptr);
        s->maybe_free();
        return;
    }
    sock_pump(s);
    s->maybe_free();
}

}  // namespace

stream_handler line_protocol_handler(uv_loop_t* loop) {
    return [loop](const posix::socket_address&, reader& r, writer& w, completion done) {
        serve_next(std::make_shared<stream_session>(stream_session{loop, &r, &w, std::move(done)}));
    };
}

sock_handler line_protocol_sock_handler(uv_loop_t* loop) {
    return [loop](const posix::socket_address&, uv_stream_t* stream, completion done) {
        auto* s = new sock_session{loop, stream, std::move(done), {}, 0, 0, 0, false, false, false};
        stream->data = s;
        sock_pump(s);
        s->maybe_free();
    };
}

}  // namespace berth::uv
