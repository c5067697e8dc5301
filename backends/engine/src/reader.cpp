// The reader (berth/reader.hpp) and the input side of a connection: one buffer per
// connection, filled by the backend only while an operation needs more than it
// holds, so that a handler that stops reading lets the kernel's buffer push back on
// the peer, and a connection's input never exceeds what its reader asks to hold.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "berth/core/detail/assert.hpp"
#include "berth/engine/server.hpp"
#include "berth/errors.hpp"

namespace berth::engine {

namespace {

// A fill asks for at least this much room, so that small reads do not each cost a
// system call for a sliver of buffer.
constexpr std::size_t fill_bytes_min = 4096;

// The clock is read only for a timeout: most reads have none.
core::time_ns deadline_after(engine::io& loop, std::chrono::nanoseconds timeout) {
    if (timeout == berth::detail::no_timeout) return core::no_deadline_ns;
    const core::time_ns now_ns = loop.now_ns();
    const core::time_ns timeout_ns = std::max<core::time_ns>(timeout.count(), 0);
    return timeout_ns > core::no_deadline_ns - now_ns ? core::no_deadline_ns : now_ns + timeout_ns;
}

}  // namespace

void connection::await_input(berth::detail::operation& op, std::chrono::nanoseconds timeout,
                             std::size_t capacity_max_bytes) {
    input_capacity_max_bytes_ = capacity_max_bytes;
    wait(waiting_for::input, &op, op.waiting, deadline_after(*owner_->io_, timeout));
    fill();
}

// One fill at a time; the buffer moves only between fills (prepare's precondition).
void connection::fill() {
    if (fill_pending_ || input_ended_ || closing_ || io_ == nullptr) return;
    const std::span<char> room = input_.prepare(fill_bytes_min, input_capacity_max_bytes_);
    BERTH_ASSERT(!room.empty());  // an operation that cannot fit completes first
    fill_pending_ = true;
    io_->read(room);
}

void connection::on_read(std::size_t bytes, int error_value) {
    const server::turn t(*owner_);
    fill_pending_ = false;
    if (closing_) return;
    if (bytes > 0) {
        input_.commit(bytes);
    } else {
        end_input(error_value);
    }
    progress();
}

void connection::end_input(int error_value) {
    input_ended_ = true;
    end_error_ = error_value;
}

std::error_code connection::end_reason() const {
    if (!input_ended_ || end_error_ == 0) return {};
    return {end_error_, std::generic_category()};
}

}  // namespace berth::engine

namespace berth::detail {

void read_operation::await_suspend(std::coroutine_handle<> h) {
    waiting = h;
    const std::size_t capacity_max_bytes =
        kind_ == read_kind::line
            ? std::max(engine::input_buffer::initial_capacity_bytes, line_length_max_ + 1)
            : engine::input_buffer::initial_capacity_bytes;
    connection_->await_input(*this, timeout_, capacity_max_bytes);
}

// Takes what the buffer holds towards the operation; true when it is complete.
bool read_operation::on_progress() {
    engine::input_buffer& in = connection_->input();
    const bool ended = connection_->input_ended();
    switch (kind_) {
        case read_kind::some:
        case read_kind::exactly: {
            const std::size_t n = std::min(in.size(), into_.size() - done_);
            if (n > 0) {
                std::memcpy(into_.data() + done_, in.readable().data(), n);
                in.consume(n);
                done_ += n;
            }
            if (kind_ == read_kind::some) return done_ > 0 || into_.empty() || ended;
            return done_ == into_.size() || ended;
        }
        case read_kind::line: {
            const std::string_view text = in.readable();
            const std::size_t newline = text.find('\n', scanned_);
            if (newline != std::string_view::npos) {
                if (newline > line_length_max_) {
                    too_long_ = true;
                    return true;
                }
                line_ = text.data();
                line_length_ = newline > 0 && text[newline - 1] == '\r' ? newline - 1 : newline;
                has_line_ = true;
                in.consume(newline + 1);
                return true;
            }
            scanned_ = text.size();
            if (text.size() > line_length_max_) {
                too_long_ = true;
                return true;
            }
            if (ended && !text.empty()) {  // the unterminated rest
                line_ = text.data();
                line_length_ = text.size();
                has_line_ = true;
                in.consume(text.size());
            }
            return ended;
        }
    }
    return true;
}

std::optional<std::string_view> read_operation::line_result() const {
    if (too_long_) {
        throw line_too_long("read_line: no newline within " + std::to_string(line_length_max_) +
                            " bytes");
    }
    if (!has_line_) return std::nullopt;
    return std::string_view(line_, line_length_);
}

std::optional<std::string> read_line_operation::await_resume() const {
    const std::optional<std::string_view> line = line_result();
    if (!line) return std::nullopt;
    return std::string(*line);
}

timed_line timed_line_operation::await_resume() const {
    if (timed_out_) return {std::nullopt, true};
    const std::optional<std::string_view> line = line_result();
    return {line ? std::optional<std::string>(std::string(*line)) : std::nullopt, false};
}

}  // namespace berth::detail

namespace berth {

reader::reader(stream& s, std::size_t line_length_max)
    : connection_(&s.connection()), line_length_max_(line_length_max) {
    // A value, not an invariant: it may come from the user's configuration, so it is
    // refused like an option, as the handler's own error (the server goes on).
    if (line_length_max < 1 || line_length_max > line_length_limit) {
        throw std::invalid_argument("reader: line_length_max must be from 1 to " +
                                    std::to_string(line_length_limit) + " (got " +
                                    std::to_string(line_length_max) + ")");
    }
}

detail::read_bytes_operation reader::read_some(std::span<char> into) {
    return {*connection_, detail::read_kind::some, into, line_length_max_, detail::no_timeout};
}

detail::read_bytes_operation reader::read_exactly(std::span<char> into) {
    return {*connection_, detail::read_kind::exactly, into, line_length_max_, detail::no_timeout};
}

detail::read_line_operation reader::read_line() {
    return {*connection_, detail::read_kind::line, {}, line_length_max_, detail::no_timeout};
}

detail::read_line_view_operation reader::read_line_view() {
    return {*connection_, detail::read_kind::line, {}, line_length_max_, detail::no_timeout};
}

detail::timed_read_operation reader::read_some_for(std::span<char> into,
                                                   std::chrono::nanoseconds timeout) {
    return {*connection_, detail::read_kind::some, into, line_length_max_, timeout};
}

detail::timed_read_operation reader::read_exactly_for(std::span<char> into,
                                                      std::chrono::nanoseconds timeout) {
    return {*connection_, detail::read_kind::exactly, into, line_length_max_, timeout};
}

detail::timed_line_operation reader::read_line_for(std::chrono::nanoseconds timeout) {
    return {*connection_, detail::read_kind::line, {}, line_length_max_, timeout};
}

bool reader::at_end() const {
    return connection_->input_ended() && connection_->input().size() == 0;
}

std::error_code reader::end_reason() const {
    return connection_->end_reason();
}

std::size_t reader::bytes_available() const {
    return connection_->input().size();
}

}  // namespace berth
