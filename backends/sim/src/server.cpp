// The public face of the sim server: creation (options checked before anything is
// opened), the user's calls, and the description.
#include "berth/sim/server.hpp"

#include <memory>
#include <ostream>

#include "server_impl.hpp"

namespace berth::sim {

namespace {

server_impl* make(world& w, const std::string& listen, core::options opts, sock_handler sock,
                  stream_handler stream, server_hooks hooks) {
    // SEMANTICS.md section 2: the default limit is 90% of the descriptor limit.
    if (opts.max_connections == core::max_connections_unset) {
        opts.max_connections = std::max<std::uint32_t>(1, w.net().config().fd_limit / 10 * 9);
    }
    if (const auto error = core::validate(opts)) throw creation_error(error->message);
    if (opts.on_handler_error == core::error_policy::call && !hooks.on_handler_error) {
        throw creation_error(
            "on_handler_error is call, but server_hooks::on_handler_error is not set");
    }
    auto impl = std::make_shared<server_impl>(w, listen, opts, std::move(sock), std::move(stream),
                                              std::move(hooks));
    impl->open();
    w.keep(impl);
    w.add_checked(impl.get());
    return impl.get();
}

}  // namespace

server server::create_sock(world& w, const std::string& listen, core::options opts,
                           sock_handler handler, server_hooks hooks) {
    BERTH_ASSERT(handler != nullptr);
    return server(make(w, listen, opts, std::move(handler), nullptr, std::move(hooks)));
}

server server::create(world& w, const std::string& listen, core::options opts,
                      stream_handler handler, server_hooks hooks) {
    BERTH_ASSERT(handler != nullptr);
    return server(make(w, listen, opts, nullptr, std::move(handler), std::move(hooks)));
}

void server::close(bool close_existing_connections, std::function<void()> on_closed) {
    impl_->close(close_existing_connections, core::no_deadline_ns, std::move(on_closed));
}

void server::close_with_drain(time_ns deadline_ns, std::function<void()> on_closed) {
    impl_->close(false, deadline_ns, std::move(on_closed));
}

void server::close_finished(std::function<void()> callback) {
    impl_->close_finished(std::move(callback));
}

void server::handlers_finished(std::function<void()> callback) {
    impl_->handlers_finished(std::move(callback));
}

std::uint32_t server::num_connections() const {
    return impl_->core.num_connections();
}
bool server::is_closed() const {
    return impl_->core.is_closed();
}
const std::string& server::listening_on() const {
    return impl_->bound_address;
}
void server::set_drop_incoming_connections(bool drop) {
    impl_->set_drop(drop);
}
bool server::is_dropping_incoming_connections() const {
    return impl_->core.is_dropping_incoming_connections();
}
bool server::invariant() const {
    return impl_->core.invariant();
}
const core::statistics& server::stats() const {
    return impl_->core.stats();
}
const core::options& server::options() const {
    return impl_->core.opts();
}
bool server::close_completed() const {
    return impl_->close_fired;
}
bool server::all_handlers_finished() const {
    return impl_->handlers_fired;
}
socket_handle server::listening_socket() const {
    return impl_->listener;
}
std::uint64_t server::events_handled() const {
    return impl_->events;
}
std::uint64_t server::close_calls() const {
    return impl_->closes;
}

std::ostream& operator<<(std::ostream& os, const server& s) {
    os << "listening_on: " << s.impl_->bound_address << " (sim)\n" << s.impl_->core << "\npeers:";
    bool any = false;
    for (const auto& r : s.impl_->records) {
        if (r == nullptr) continue;
        os << "\n  " << r->id.index << '.' << r->id.generation << ' ' << r->peer;
        any = true;
    }
    if (!any) os << " none";
    return os;
}

namespace {

void write_json_string(std::ostream& os, const std::string& text) {
    os << '"';
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            os << '\\' << c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            os << ' ';
        } else {
            os << c;
        }
    }
    os << '"';
}

}  // namespace

void server::write_json(std::ostream& os) const {
    os << "{\"listening_on\":";
    write_json_string(os, impl_->bound_address);
    os << ",\"backend\":\"sim\",\"core\":";
    impl_->core.write_json(os);
    os << ",\"peers\":[";
    bool first = true;
    for (const auto& r : impl_->records) {
        if (r == nullptr) continue;
        os << (first ? "" : ",") << "{\"index\":" << r->id.index
           << ",\"generation\":" << r->id.generation << ",\"peer\":";
        write_json_string(os, r->peer);
        os << '}';
        first = false;
    }
    os << "]}";
}

// --- writer ------------------------------------------------------------------------

void writer::write(std::string_view data) {
    connection_->owner->writer_write(*connection_, data);
}

std::uint64_t writer::bytes_waiting() const {
    return connection_->tracker->bytes_waiting();
}

bool writer::accepts_writes() const {
    return !connection_->fd_closed && connection_->tracker->accepts_writes();
}

}  // namespace berth::sim
