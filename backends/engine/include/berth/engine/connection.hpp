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

/// Owned by its engine (server), which destroys it at its release, never inside one
/// of its own callbacks. Not thread safe: everything runs on the server's loop.
class connection final : private berth::detail::task_observer,
                         private berth::detail::task_scheduler {
public:
    /// Made by the engine for a start_handler action.
    /// @param owner the engine; outlives the connection.
    /// @param id the core's id for it.
    /// @param socket the accepted socket, adopted by the backend next.
    /// @param peer the peer's address, given to the handler.
    connection(server& owner, core::connection_id id, core::socket_handle socket, address peer);
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    /// Destroys the handler's frame first, then the stream_io.
    ~connection();

    /// The core's id.
    [[nodiscard]] core::connection_id id() const { return id_; }
    /// The accepted socket's handle.
    [[nodiscard]] core::socket_handle socket() const { return socket_; }
    /// The peer's address; valid for the connection's life.
    [[nodiscard]] const address& peer() const { return peer_; }
    /// The engine that owns it.
    [[nodiscard]] server& owner() const { return *owner_; }
    /// The backend's side; null when the backend could not adopt the socket.
    [[nodiscard]] stream_io* io() const { return io_.get(); }
    /// Whether the handler's code is still running.
    [[nodiscard]] bool handler_running() const { return !handler_done_; }

    // --- Reported by the backend (engine/io.hpp) -------------------------------
    /// A stream_io::read completed; ignored once the connection is closing. May
    /// resume the handler, inside this call.
    /// @param bytes read into the span; 0 at the end of the stream or on an error.
    /// @param error_value the errno, or 0.
    void on_read(std::size_t bytes, int error_value);
    /// A stream_io::write completed; ignored once the connection is closing. May
    /// resume the handler, inside this call.
    /// @param bytes taken by the kernel.
    /// @param error_value the errno, or 0.
    void on_written(std::size_t bytes, int error_value);
    /// The stream_io::close completed. May release, and so destroy, the connection:
    /// the backend must not touch it after this call.
    void on_closed();
    /// For what a backend knows at once (a read or write that could not start, a
    /// write the socket took without waiting): reports on_read or on_written from
    /// the loop, later (io::post), and not at all if the connection was closed or
    /// released meanwhile. One of each may be outstanding, as one read and one
    /// write may be.
    /// @param bytes as for on_read.
    /// @param error_value as for on_read.
    void report_read_later(std::size_t bytes, int error_value);
    /// As report_read_later, for on_written.
    /// @param bytes as for on_written.
    /// @param error_value as for on_written.
    void report_written_later(std::size_t bytes, int error_value);
    /// For the backend's own bound on an operation (stream_io::on_io_deadline);
    /// no_deadline_ns cancels it.
    /// @param deadline_ns on io::now_ns()'s clock.
    void arm_io_deadline(core::time_ns deadline_ns);

    // --- For the portable handler API ---------------------------------------------
    /// The stream a `create_sock` handler is given; valid for the connection's life.
    berth::stream& handler_stream() { return stream_; }
    /// Starts `op`, which the input buffer does not satisfy yet: fills the buffer
    /// until op.on_progress() says it is complete, the stream ends, or its timeout.
    /// @param op the awaited operation, in the handler's frame; resumed later.
    /// @param timeout detail::no_timeout for none.
    /// @param capacity_max_bytes the most the input buffer may grow to for it.
    void await_input(berth::detail::operation& op, std::chrono::nanoseconds timeout,
                     std::size_t capacity_max_bytes);
    /// Starts a writer flush: `op` completes once flush_settled() holds.
    /// @param op the awaited flush, in the handler's frame; resumed later.
    void await_flushed(berth::detail::operation& op);
    /// Starts a stream write of all of `data`.
    /// @param op the awaited write, in the handler's frame; resumed later.
    /// @param data not empty; must stay valid until `op` completes.
    void await_written(berth::detail::operation& op, std::span<const char> data);
    /// The write_operation's next piece went out: how much, and why it stopped.
    [[nodiscard]] std::size_t last_written() const { return last_written_; }
    /// The errno the last stream write ended with, 0 for none.
    [[nodiscard]] int last_write_error() const { return last_write_error_; }

    /// What was received and not read yet.
    [[nodiscard]] input_buffer& input() { return input_; }
    /// What was received and not read yet.
    [[nodiscard]] const input_buffer& input() const { return input_; }
    /// Whether the stream has ended (more input is never coming).
    [[nodiscard]] bool input_ended() const { return input_ended_; }
    /// Why the input ended: empty for a clean end or while it has not ended.
    [[nodiscard]] std::error_code end_reason() const;

    /// Why a stream write cannot start (an errno), 0 when it can.
    /// @return ECANCELED once the server closes the connection, EPIPE after the
    ///   handler shut the stream down, else 0.
    [[nodiscard]] int write_refusal() const;

    /// The writer's write: books the bytes with the core, and keeps them only if
    /// the core took them (it may close the connection inside this call).
    /// @param data copied.
    void write(std::string_view data);
    /// Bytes the writer holds and the kernel has not taken.
    [[nodiscard]] std::uint64_t bytes_buffered() const;
    /// Whether the writer still takes bytes.
    [[nodiscard]] bool accepts_writes() const;
    /// Nothing waits in the writer, or it stopped: a flushed() completes.
    /// @param flushed set: true when everything reached the kernel, false when the
    ///   writer stopped first.
    /// @return whether a flushed() completes now.
    [[nodiscard]] bool flush_settled(bool& flushed) const;

    /// The handler's shutdown: no more writes; `both` ends its reads too.
    /// @param how which directions end.
    void shutdown(shutdown_how how);
    /// The socket's descriptor; -1 once closing or where the backend has none.
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
