/// @file
/// One connection as the engine keeps it, from its handler's start to its release
/// (engine/server.hpp starts and releases it): the handler's task, the backend's
/// stream_io, the input buffer the reader and stream read from, the writer's buffer,
/// and the one operation the handler awaits.
///
/// Backends call the on_* members, each as its primitive's contract says
/// (engine/io.hpp). Everything else is for the engine and the portable handler API.
#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <string_view>
#include <system_error>
#include <utility>

#include "berth/address.hpp"
#include "berth/core/types.hpp"
#include "berth/detail/operation.hpp"
#include "berth/engine/buffers.hpp"
#include "berth/engine/io.hpp"
#include "berth/handler.hpp"
#include "berth/reader.hpp"
#include "berth/stream.hpp"
#include "berth/task.hpp"
#include "berth/writer.hpp"

namespace berth::engine {

class server;

class connection final : private berth::detail::task_observer,
                         private berth::detail::task_scheduler {
public:
    connection(server& owner, core::connection_id id, core::socket_handle socket, address peer);
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    ~connection();

    [[nodiscard]] core::connection_id id() const { return id_; }
    [[nodiscard]] core::socket_handle socket() const { return socket_; }
    [[nodiscard]] const address& peer() const { return peer_; }
    [[nodiscard]] server& owner() const { return *owner_; }
    /// The backend's side; null when the backend could not adopt the socket.
    [[nodiscard]] stream_io* io() const { return io_.get(); }
    /// Whether the handler's code is still running.
    [[nodiscard]] bool handler_running() const { return !handler_done_; }

    // --- Reported by the backend (engine/io.hpp) -------------------------------
    void on_read(std::size_t bytes, int error_value);
    void on_written(std::size_t bytes, int error_value);
    void on_closed();
    /// For what a backend knows at once (a read or write that could not start, a
    /// write the socket took without waiting): reports on_read or on_written from
    /// the loop, later (io::post), and not at all if the connection was closed or
    /// released meanwhile. One of each may be outstanding, as one read and one
    /// write may be.
    void report_read_later(std::size_t bytes, int error_value);
    void report_written_later(std::size_t bytes, int error_value);
    /// For the backend's own bound on an operation (stream_io::on_io_deadline);
    /// no_deadline_ns cancels it.
    void arm_io_deadline(core::time_ns deadline_ns);

    // --- For the portable handler API ---------------------------------------------
    berth::stream& handler_stream() { return stream_; }
    /// Starts `op`, which the input buffer does not satisfy yet: fills the buffer
    /// until op.on_progress() says it is complete, the stream ends, or its timeout.
    void await_input(berth::detail::operation& op, std::chrono::nanoseconds timeout,
                     std::size_t capacity_max_bytes);
    void await_flushed(berth::detail::operation& op);
    void await_written(berth::detail::operation& op, std::span<const char> data);
    /// The write_operation's next piece went out: how much, and why it stopped.
    [[nodiscard]] std::size_t last_written() const { return last_written_; }
    [[nodiscard]] int last_write_error() const { return last_write_error_; }

    [[nodiscard]] input_buffer& input() { return input_; }
    [[nodiscard]] const input_buffer& input() const { return input_; }
    [[nodiscard]] bool input_ended() const { return input_ended_; }
    [[nodiscard]] std::error_code end_reason() const;

    /// Why a stream write cannot start (an errno), 0 when it can.
    [[nodiscard]] int write_refusal() const;

    void write(std::string_view data);
    [[nodiscard]] std::uint64_t bytes_buffered() const;
    [[nodiscard]] bool accepts_writes() const;
    /// Nothing waits in the writer, or it stopped: a flushed() completes.
    [[nodiscard]] bool flush_settled(bool& flushed) const;

    void shutdown(shutdown_how how);
    [[nodiscard]] stream_io::native_handle_type native_handle() const;

private:
    friend class server;

    enum class waiting_for : std::uint8_t { nothing, input, flush, write, sleep };

    // The engine's side (connection.cpp).
    void start(const reader_writer_handler& serve);
    void start(const stream_handler& serve);
    void adopt_failed(std::exception_ptr error);
    void close_now();
    [[nodiscard]] std::exception_ptr take_handler_error() { return std::move(handler_error_); }
    [[nodiscard]] bool handler_done() const { return handler_done_; }
    void on_deadline(core::time_ns now_ns);
    [[nodiscard]] core::time_ns deadline_ns() const;

    void on_task_done() noexcept override;
    void resume_after(std::coroutine_handle<> h, std::chrono::nanoseconds delay) override;
    void handler_ended(std::exception_ptr error);

    // Operations (reader.cpp, writer.cpp, stream.cpp).
    void wait(waiting_for what, berth::detail::operation* op, std::coroutine_handle<> h,
              core::time_ns deadline_ns);
    void progress();
    void complete_operation();
    void fill();
    void flush();
    void end_input(int error_value);
    // Runs a report_*_later from the loop (connection.cpp).
    enum class report_kind : std::uint8_t { read, written };
    template <report_kind Kind>
    void post_report();

    server* owner_;
    core::connection_id id_;
    core::socket_handle socket_;
    address peer_;
    std::unique_ptr<stream_io> io_;

    // The handler.
    std::exception_ptr handler_error_;
    bool handler_done_ = false;
    bool closing_ = false;  ///< close_now ran: no more I/O
    berth::stream stream_;
    berth::reader reader_;
    berth::writer writer_;

    // The one awaited operation, and its deadline.
    waiting_for waiting_ = waiting_for::nothing;
    berth::detail::operation* op_ = nullptr;
    std::coroutine_handle<> sleeper_;
    core::time_ns op_deadline_ns_ = core::no_deadline_ns;
    core::time_ns io_deadline_ns_ = core::no_deadline_ns;

    // Input.
    input_buffer input_;
    std::size_t input_capacity_max_bytes_ = input_buffer::initial_capacity_bytes;
    bool fill_pending_ = false;
    bool input_ended_ = false;
    // The outstanding report_*_later results: {bytes, error_value}.
    std::pair<std::size_t, int> read_later_{};
    std::pair<std::size_t, int> written_later_{};
    int end_error_ = 0;  ///< 0: the peer's clean end

    // Output: the writer's buffer, or a stream write's span.
    bool write_shut_ = false;  ///< the handler shut its stream down
    output_buffer output_;
    std::size_t in_flight_bytes_ = 0;
    bool write_pending_ = false;
    std::span<const char> write_from_;
    std::size_t last_written_ = 0;
    int last_write_error_ = 0;

    // Last, so that the frame (which holds references to the members above) goes
    // first.
    task<> body_;
};

}  // namespace berth::engine
