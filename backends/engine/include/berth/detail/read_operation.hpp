// The read operations of berth::stream and berth::reader. Every read first looks at
// what the connection has already received (its input buffer): an operation the
// buffer satisfies completes without suspending; otherwise the connection fills
// the buffer until it does, the stream ends, or the timeout passes.
#pragma once

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "berth/detail/operation.hpp"

namespace berth {

/// The result of a read with a timeout.
struct timed_read {
    std::size_t bytes = 0;   // placed in the caller's buffer; 0 at the end of the stream
    bool timed_out = false;  // the timeout passed first (bytes read before it are kept)
};

/// The result of read_line_for.
struct timed_line {
    std::optional<std::string> line;  // nothing at the end of the stream, or on timeout
    bool timed_out = false;
};

}  // namespace berth

namespace berth::detail {

enum class read_kind : unsigned char {
    some,     // at least one byte, at most the buffer
    exactly,  // the whole buffer, or what is left at the end of the stream
    line,     // up to '\n', at most line_length_max bytes
};

class read_operation : public operation {
public:
    read_operation(engine::connection& c, read_kind kind, std::span<char> into,
                   std::size_t line_length_max, std::chrono::nanoseconds timeout)
        : operation(c, timeout), kind_(kind), into_(into), line_length_max_(line_length_max) {}

    [[nodiscard]] bool await_ready() { return on_progress(); }
    void await_suspend(std::coroutine_handle<> h);

    bool on_progress() override;

protected:
    ~read_operation() = default;

    [[nodiscard]] std::size_t bytes_result() const { return done_; }
    /// The line (a view into the input buffer, valid until the next read), or
    /// nothing at the end of the stream or on timeout. Throws line_too_long.
    [[nodiscard]] std::optional<std::string_view> line_result() const;

private:
    read_kind kind_;
    std::span<char> into_;
    std::size_t line_length_max_;
    std::size_t done_ = 0;     // some, exactly: bytes copied into `into_`
    std::size_t scanned_ = 0;  // line: bytes already searched for '\n'
    const char* line_ = nullptr;
    std::size_t line_length_ = 0;
    bool has_line_ = false;
    bool too_long_ = false;
};

/// co_await yields the bytes read: 0 only at the end of the stream.
class read_bytes_operation final : public read_operation {
public:
    using read_operation::read_operation;
    [[nodiscard]] std::size_t await_resume() const { return bytes_result(); }
};

class timed_read_operation final : public read_operation {
public:
    using read_operation::read_operation;
    [[nodiscard]] timed_read await_resume() const { return {bytes_result(), timed_out_}; }
};

/// co_await yields the line as a string, or nothing at the end of the stream.
class read_line_operation final : public read_operation {
public:
    using read_operation::read_operation;
    [[nodiscard]] std::optional<std::string> await_resume() const;
};

/// co_await yields a view of the line, valid until the next read on the connection.
class read_line_view_operation final : public read_operation {
public:
    using read_operation::read_operation;
    [[nodiscard]] std::optional<std::string_view> await_resume() const { return line_result(); }
};

class timed_line_operation final : public read_operation {
public:
    using read_operation::read_operation;
    [[nodiscard]] timed_line await_resume() const;
};

}  // namespace berth::detail
