// A connection's life in the engine (SEMANTICS.md sections 4.5 and 5): the
// handler's start, its end, the socket's close, and the release that frees the slot
// once both are done (error_policy.cpp). The core decides when each happens.
//
// Lifetime: a connection is destroyed only at its release, which needs its socket
// closed, and the backend reports a close never inside the call that asked for it.
// So nothing a connection's own callbacks do can destroy it under them, except in
// on_closed and at the handler's end, where the connection is not touched after
// reporting.
#include <cerrno>
#include <stdexcept>
#include <utility>

#include "berth/core/detail/assert.hpp"
#include "berth/engine/server.hpp"

namespace berth::engine {

connection::connection(server& owner, core::connection_id id, core::socket_handle socket,
                       address peer)
    : owner_(&owner),
      id_(id),
      socket_(socket),
      peer_(peer),
      stream_(*this),
      reader_(stream_),
      writer_(*this) {}

connection::~connection() = default;

// --- The engine's side --------------------------------------------------------------

void server::execute(const core::actions::start_handler& a) {
    if (connections_.size() <= a.id.index) {
        connections_.resize(std::size_t{a.id.index} + 1);
        deadlines_.resize(a.id.index + 1);
    }
    BERTH_ASSERT(connections_[a.id.index] == nullptr);
    connections_[a.id.index] =
        std::make_unique<connection>(*this, a.id, a.socket, take_peer(a.socket));
    ++connections_held_;
    connection& c = *connections_[a.id.index];
    try {
        c.io_ = io_->adopt(c, a.socket);
    } catch (...) {
        c.adopt_failed(std::current_exception());
        return;
    }
    struct starter {
        server& s;
        connection& c;
        void operator()(const reader_writer_handler& h) const { c.start(h); }
        void operator()(const stream_handler& h) const { c.start(h); }
        void operator()(const native_handler&) const { s.io_->start_native_handler(c); }
    };
    std::visit(starter{*this, c}, serve_);
}

// The backend could not take the socket: it is closed here, and the handler counts
// as having failed with the backend's error, as if it had failed at once.
void connection::adopt_failed(std::exception_ptr error) {
    owner_->io_->close_socket_now(socket_);
    handler_ended(std::move(error));
}

void connection::start(const reader_writer_handler& serve) {
    try {
        body_ = serve(peer_, reader_, writer_);
    } catch (...) {
        handler_ended(std::current_exception());  // it failed before returning its task
        return;
    }
    if (!body_.valid()) {
        handler_ended(std::make_exception_ptr(std::logic_error("the handler returned no task")));
        return;
    }
    body_.start(this, this);
}

void connection::start(const stream_handler& serve) {
    try {
        body_ = serve(peer_, stream_);
    } catch (...) {
        handler_ended(std::current_exception());
        return;
    }
    if (!body_.valid()) {
        handler_ended(std::make_exception_ptr(std::logic_error("the handler returned no task")));
        return;
    }
    body_.start(this, this);
}

// From the task's final suspension: the frame may be destroyed from here on (at the
// release), and nothing touches it after the report.
void connection::on_task_done() noexcept {
    handler_ended(body_.error());
}

void connection::handler_ended(std::exception_ptr error) {
    BERTH_ASSERT(!handler_done_);
    handler_done_ = true;
    handler_error_ = error;
    flush();  // what it wrote last goes out: the final flush
    if (io_ != nullptr) io_->on_handler_done();
    const core::outcome result = error ? core::outcome::error : core::outcome::ok;
    owner_->feed(core::events::handler_returned{id_, result});  // may release *this
}

void server::on_native_handler_done(core::connection_id id, std::exception_ptr error) {
    connection* c = find(id);
    if (c == nullptr || c->handler_done()) {
        feed(core::events::extra_completion{id});
        return;
    }
    c->handler_ended(std::move(error));
}

void server::execute(const core::actions::close_socket& a) {
    if (!a.handler_started) {
        static_cast<void>(take_peer(a.socket));
        io_->close_socket_now(a.socket);
        feed(core::events::socket_closed{a.id});
        return;
    }
    connection* c = find(a.id);
    BERTH_ASSERT(c != nullptr);
    c->close_now();
}

// The core says close now: whatever the writer holds is dropped, and so is what
// was received and not read; the awaited operation ends (a read with the end of the
// stream, a flush or a write with failure), and the handler carries on to find its
// socket closed.
void connection::close_now() {
    BERTH_ASSERT(!closing_);
    closing_ = true;
    output_.clear();
    // The backend reports nothing more once asked to close.
    fill_pending_ = false;
    if (write_pending_ && waiting_ == waiting_for::write) last_write_error_ = ECANCELED;
    write_pending_ = false;
    // What was received and not read goes too: the handler's next read finds its
    // socket closed, rather than serving requests nobody will see answered.
    input_.consume(input_.size());
    if (!input_ended_) end_input(ECANCELED);
    if (io_ == nullptr) {
        // The backend never took the socket: adopt_failed closed it.
        owner_->feed(core::events::socket_closed{id_});
    } else {
        io_->close();
    }
    progress();
}

// The posted function holds the server by pointer and the connection by id, 16
// bytes that fit std::function's small buffer (a write costs no allocation), and
// finds a released connection gone; the kind is a template argument, not a capture,
// to keep it so. The server outlives it: it keeps itself alive while it has
// connections, and lets go through a post, which runs after this one.
template <connection::report_kind Kind>
void connection::post_report() {
    owner_->io_->post([s = owner_, id = id_] {
        connection* c = s->find(id);
        if (c == nullptr || c->closing_) return;  // a closed connection hears of no I/O
        if constexpr (Kind == report_kind::read) {
            if (c->fill_pending_) c->on_read(c->read_later_.first, c->read_later_.second);
        } else {
            if (c->write_pending_) c->on_written(c->written_later_.first, c->written_later_.second);
        }
    });
}

void connection::report_read_later(std::size_t bytes, int error_value) {
    read_later_ = {bytes, error_value};
    post_report<report_kind::read>();
}

void connection::report_written_later(std::size_t bytes, int error_value) {
    written_later_ = {bytes, error_value};
    post_report<report_kind::written>();
}

void connection::on_closed() {
    owner_->feed(core::events::socket_closed{id_});  // may release *this
}

connection* server::find(core::connection_id id) const {
    if (id.index >= connections_.size()) return nullptr;
    connection* c = connections_[id.index].get();
    return c != nullptr && c->id() == id ? c : nullptr;
}

// Either way the handler writes no more; `both` ends its reads too.
void connection::shutdown(shutdown_how how) {
    write_shut_ = true;
    if (how == shutdown_how::both && !input_ended_) end_input(ECANCELED);
    if (io_ != nullptr && !closing_) io_->shutdown(how);
}

stream_io::native_handle_type connection::native_handle() const {
    return io_ != nullptr && !closing_ ? io_->native_handle() : -1;
}

}  // namespace berth::engine
