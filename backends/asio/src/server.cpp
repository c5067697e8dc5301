// The public face of the Asio server: creation (options checked before anything
// is opened), the user's calls, and the description.
#include "berth/asio/server.hpp"

#include <ostream>
#include <vector>

#include "berth/core/detail/assert.hpp"
#include "berth/driver/creation.hpp"
#include "berth/driver/description.hpp"
#include "server_impl.hpp"

namespace berth::asio {

namespace {

std::shared_ptr<detail::server_impl> make(const executor& ex, const posix::listen_spec& spec,
                                          core::options opts, sock_handler sock,
                                          stream_handler stream, server_hooks hooks) {
    // SEMANTICS.md section 2: every option is checked before a socket exists.
    opts = driver::checked_options(opts, hooks);
    posix::listener l = posix::listener::create(spec, opts.backlog);
    auto impl = std::make_shared<detail::server_impl>(ex, std::move(l), opts, std::move(sock),
                                                      std::move(stream), std::move(hooks));
    impl->start();
    return impl;
}

}  // namespace

server server::create_sock(const executor& ex, const posix::listen_spec& spec, core::options opts,
                           sock_handler handler, server_hooks hooks) {
    driver::require_handler(handler != nullptr, "create_sock");
    return server(make(ex, spec, opts, std::move(handler), nullptr, std::move(hooks)));
}

server server::create(const executor& ex, const posix::listen_spec& spec, core::options opts,
                      stream_handler handler, server_hooks hooks) {
    driver::require_handler(handler != nullptr, "create");
    return server(make(ex, spec, opts, nullptr, std::move(handler), std::move(hooks)));
}

void server::start_close(bool close_existing_connections, std::chrono::nanoseconds drain_timeout) {
    core::time_ns deadline_ns = core::no_deadline_ns;
    if (drain_timeout != std::chrono::nanoseconds::max()) {
        BERTH_ASSERT(drain_timeout.count() >= 0);
        deadline_ns = detail::server_impl::now_ns() + drain_timeout.count();
    }
    impl_->request_close(close_existing_connections, deadline_ns);
}

std::uint32_t server::num_connections() const {
    return impl_->core.num_connections();
}
bool server::is_closed() const {
    return impl_->core.is_closed();
}
const posix::listen_endpoint& server::listening_on() const {
    return impl_->listen.listening_on();
}
posix::socket_address server::listening_on_address() const {
    return impl_->listen.listening_on_address();
}
int server::listening_socket() const {
    return impl_->listen.fd();
}
void server::set_drop_incoming_connections(bool drop) {
    impl_->set_drop(drop);
}
bool server::is_dropping_incoming_connections() const {
    return impl_->core.is_dropping_incoming_connections();
}
bool server::invariant() const {
    return impl_->check_invariant() == nullptr;
}
const char* server::check_invariant() const {
    return impl_->check_invariant();
}
const core::statistics& server::stats() const {
    return impl_->core.stats();
}
const core::options& server::options() const {
    return impl_->core.opts();
}
executor server::get_executor() const {
    return impl_->exec;
}
void server::inject_accept_faults(int error_value, std::uint32_t count) {
    impl_->accepting.inject_faults(error_value, count);
}

namespace {

void describe(std::ostream& os, const detail::server_impl& impl, bool json) {
    const std::vector<driver::described_peer> peers = driver::live_peers(impl.connections);
    const driver::description d{"asio", impl.listen.listening_on(), impl.core, peers};
    if (json) {
        driver::write_json(os, d);
    } else {
        driver::write_text(os, d);
    }
}

}  // namespace

std::ostream& operator<<(std::ostream& os, const server& s) {
    describe(os, *s.impl_, false);
    return os;
}

void server::write_json(std::ostream& os) const {
    describe(os, *impl_, true);
}

}  // namespace berth::asio
