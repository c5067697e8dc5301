// The byte stream of a `create_sock` handler (berth/stream.hpp): reads through the
// connection's input buffer (reader.cpp), writes straight from the handler's bytes,
// which stay valid because the handler awaits the write.
#include <cerrno>

#include "berth/core/detail/assert.hpp"
#include "berth/engine/server.hpp"

namespace berth::engine {

int connection::write_refusal() const {
    if (closing_ || io_ == nullptr) return ECANCELED;
    if (write_shut_) return EPIPE;
    return 0;
}

void connection::await_written(berth::detail::operation& op, std::span<const char> data) {
    BERTH_ASSERT(!data.empty() && !write_pending_);
    write_from_ = data;
    last_written_ = 0;
    last_write_error_ = 0;
    wait(waiting_for::write, &op, op.waiting, core::no_deadline_ns);
    write_pending_ = true;
    io_->write(write_from_);
}

}  // namespace berth::engine

namespace berth::detail {

bool write_operation::await_ready() {
    if (data_.empty()) return true;
    if (const int error_value = connection_->write_refusal(); error_value != 0) {
        error_ = std::error_code(error_value, std::generic_category());
        return true;
    }
    return false;
}

void write_operation::await_suspend(std::coroutine_handle<> h) {
    waiting = h;
    connection_->await_written(*this, data_);
}

bool write_operation::on_progress() {
    if (const int error_value = connection_->last_write_error(); error_value != 0) {
        error_ = std::error_code(error_value, std::generic_category());
    }
    return true;
}

}  // namespace berth::detail

namespace berth {

detail::read_bytes_operation stream::read_some(std::span<char> into) {
    return {*connection_, detail::read_kind::some, into, 0, detail::no_timeout};
}

detail::timed_read_operation stream::read_some_for(std::span<char> into,
                                                   std::chrono::nanoseconds timeout) {
    return {*connection_, detail::read_kind::some, into, 0, timeout};
}

detail::write_operation stream::write(std::string_view data) {
    return {*connection_, std::span<const char>(data.data(), data.size())};
}

void stream::shutdown() {
    connection_->shutdown(engine::shutdown_how::write);
}

void stream::close() {
    connection_->shutdown(engine::shutdown_how::both);
}

bool stream::at_end() const {
    return connection_->input_ended() && connection_->input().size() == 0;
}

std::error_code stream::end_reason() const {
    return connection_->end_reason();
}

const address& stream::peer() const {
    return connection_->peer();
}

stream::native_handle_type stream::native_handle() const {
    return connection_->native_handle();
}

}  // namespace berth
