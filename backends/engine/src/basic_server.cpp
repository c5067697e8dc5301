#include "berth/basic_server.hpp"

#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>

#include "berth/engine/server.hpp"

namespace berth {

std::uint32_t basic_server::num_connections() const {
    return engine_->core().num_connections();
}
bool basic_server::is_closed() const {
    return engine_->core().is_closed();
}
const listen_endpoint& basic_server::listening_on() const {
    return engine_->listening_on();
}
// From the moment close is called, not from when the listener's close completes: a
// close during an accept batch keeps the socket open until the batch ends, and the
// answer must not depend on that, nor on the backend.
address basic_server::listening_on_address() const {
    if (is_closed()) {
        throw std::logic_error("listening_on_address: the listener (listening on " +
                               listening_on().to_string() + ") is closed");
    }
    return engine_->loop().listening_on_address();
}
void basic_server::set_drop_incoming_connections(bool drop) {
    engine_->set_drop_incoming_connections(drop);
}
bool basic_server::is_dropping_incoming_connections() const {
    return engine_->core().is_dropping_incoming_connections();
}
const char* basic_server::check_invariant() const {
    return engine_->check_invariant();
}
const core::statistics& basic_server::stats() const {
    return engine_->core().stats();
}
const core::options& basic_server::options() const {
    return engine_->core().opts();
}
std::uint64_t basic_server::events_handled() const {
    return engine_->events_handled();
}
void basic_server::inject_accept_faults(int error_value, std::uint32_t count) {
    engine_->loop().inject_accept_faults(error_value, count);
}
std::ostream& operator<<(std::ostream& os, const basic_server& s) {
    s.engine_->describe(os, false);
    return os;
}
void basic_server::write_json(std::ostream& os) const {
    engine_->describe(os, true);
}

void callback_server::close(bool close_existing_connections, std::function<void()> done) {
    engine_->request_close(close_existing_connections, std::chrono::nanoseconds::max());
    close_finished(std::move(done));
}

void callback_server::close_with_drain(std::chrono::nanoseconds drain_timeout,
                                       std::function<void()> done) {
    engine_->request_close(false, drain_timeout);
    close_finished(std::move(done));
}

void callback_server::close_finished(std::function<void()> done) {
    engine_->add_completion(engine::completion_kind::close,
                            engine::posted_completion(engine_->loop(), std::move(done)));
}

void callback_server::handlers_finished(std::function<void()> done) {
    engine_->add_completion(engine::completion_kind::handlers_finished,
                            engine::posted_completion(engine_->loop(), std::move(done)));
}

}  // namespace berth
