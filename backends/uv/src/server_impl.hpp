// The libuv backend's driver of one core::server: it executes the core's actions
// with libuv and reports what it observes, under the contract of
// core/include/berth/core/server.hpp. Private to the backend.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <uv.h>

#include "berth/core/server.hpp"
#include "berth/core/writer_tracker.hpp"
#include "berth/driver/accept_side.hpp"
#include "berth/driver/completion_book.hpp"
#include "berth/driver/connection_table.hpp"
#include "berth/driver/send_buffers.hpp"
#include "berth/posix/listener.hpp"
#include "berth/uv/server.hpp"

namespace berth::uv::detail {

struct connection;

/// The connected stream, with the way back to its connection. The handle comes
/// first, so a uv_handle_t* of it converts back; its `data` stays the handler's.
struct stream_handle {
    union {
        uv_tcp_t tcp;
        uv_pipe_t pipe;
    } u;
    connection* owner;
};
static_assert(std::is_standard_layout_v<stream_handle>);

/// The same for the connection's timer.
struct timer_handle {
    uv_timer_t timer;
    connection* owner;
};

enum class read_kind : std::uint8_t { none, some, exactly, line };

/// The writer and reader state of a `create` connection.
struct stream_state {
    explicit stream_state(const core::options& opts)
        : tracker(opts.buffer_age_limit_ns, opts.final_flush_timeout_ns) {}

    core::writer_tracker tracker;
    driver::send_buffers out;
    std::size_t in_flight_bytes = 0;
    bool write_pending = false;
    bool writer_reported = false;  // writer_failed or peer_gone already reported
    uv_write_t write_req{};
    core::time_ns check_at_ns = core::no_deadline_ns;

    // Bytes received and not yet read: in[in_head ..]; in.size() is what is filled.
    std::string in;
    std::size_t in_head = 0;
    std::size_t read_base = 0;  // in.size() before the buffer handed to libuv
    bool reading = false;       // uv_read_start is in force
    bool at_end = false;
    int end_reason = 0;

    // The one outstanding read.
    read_kind kind = read_kind::none;
    std::span<char> into;
    std::size_t into_done = 0;
    reader::size_callback size_done;
    reader::line_callback line_done;
    bool delivery_posted = false;
};

/// One started connection. Owned by the server until released; completions and
/// posted work keep it alive beyond that, and then find it released.
struct connection {
    server_impl* owner = nullptr;
    core::connection_id id;
    posix::socket_address peer;
    stream_handle stream{};
    timer_handle timer{};
    uv_shutdown_t shutdown_req{};
    int handles_open = 0;   // stream and timer; socket_closed when both closed
    bool fd_owned = false;  // libuv took the descriptor (uv_*_open succeeded)
    bool handler_returned = false;
    bool result_decided = false;  // mirrors the core: the first result wins
    std::exception_ptr error;     // the error of an error result
    bool closing = false;         // close_socket received
    bool fd_closed = false;       // uv_close called
    bool released = false;
    std::optional<stream_state> st;  // `create` only
    std::optional<uv::reader> rd;
    std::optional<uv::writer> wr;

    [[nodiscard]] uv_stream_t* uv_stream() { return reinterpret_cast<uv_stream_t*>(&stream.u); }
};

enum class handle_state : std::uint8_t { closed, open, closing };

using completion_kind = driver::completion_kind;

class server_impl : public std::enable_shared_from_this<server_impl> {
public:
    server_impl(uv_loop_t* loop, posix::listener l, const core::options& opts, sock_handler sock,
                stream_handler stream, server_hooks hooks);
    server_impl(const server_impl&) = delete;
    server_impl& operator=(const server_impl&) = delete;
    ~server_impl();

    /// Opens the server's own handles and runs the first drain.
    void start();

    // The user's calls.
    void request_close(bool close_existing, core::time_ns drain_deadline_ns);
    void add_completion(completion_kind kind, std::function<void()> done);
    void set_drop(bool drop);
    void inject_faults(int error_value, std::uint32_t count) {
        accepting_.inject_faults(error_value, count);
    }

    // The handler's completion, reader and writer.
    void handler_done(connection& c, std::exception_ptr error);
    void writer_write(connection& c, std::string_view data);
    void request_read(connection& c, read_kind kind, std::span<char> into,
                      reader::size_callback size_done, reader::line_callback line_done);

    /// Runs `fn` on the loop later (from a uv_idle callback), in posting order.
    void post(std::function<void()> fn);

    [[nodiscard]] const char* check_invariant() const;
    [[nodiscard]] static core::time_ns now_ns();

    uv_loop_t* loop;
    posix::listener listen;
    core::server core;
    sock_handler sock_fn;
    stream_handler stream_fn;
    server_hooks hooks;
    driver::connection_table<connection> connections;

private:
    void feed(const core::event& ev);
    void drain();
    void execute(const core::action& a);
    void arm_timer(core::time_ns deadline_ns);
    /// Starts `timer` to call `fire` at `deadline_ns` (not no_deadline_ns).
    void start_timer_at(uv_timer_t* timer, uv_timer_cb fire, core::time_ns deadline_ns);
    void close_listener();
    void start_handler(const core::actions::start_handler& a);
    void close_socket(const core::actions::close_socket& a);
    void release(const core::actions::release_connection& a);

    void decide(connection& c, std::exception_ptr error);
    void start_shutdown(connection& c);
    void finish_close(connection& c);
    void arm_connection_timer(connection& c, core::time_ns deadline_ns);
    void start_write(connection& c);
    void on_written(connection& c, int status);
    void evaluate_writer(connection& c);
    void end_reads_by_server(connection& c);
    void read_more(connection& c);
    [[nodiscard]] bool read_ready(const connection& c) const;
    void deliver_read(connection& c);
    void post_delivery(connection& c);
    void run_posted();
    void open_own_handles();
    void maybe_shut_down();

    static void on_poll(uv_poll_t* handle, int status, int events);
    static void on_poll_closed(uv_handle_t* handle);
    static void on_timer(uv_timer_t* handle);
    static void on_idle(uv_idle_t* handle);
    static void on_own_handle_closed(uv_handle_t* handle);
    static void on_connection_timer(uv_timer_t* handle);
    static void on_connection_handle_closed(uv_handle_t* handle);
    static void on_shutdown(uv_shutdown_t* req, int status);
    static void on_write(uv_write_t* req, int status);
    static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
    static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);

    std::shared_ptr<server_impl> self_;  // held while any own handle is open
    driver::accept_side accepting_;

    uv_poll_t poll_{};
    handle_state poll_state_ = handle_state::closed;
    uv_timer_t timer_{};
    handle_state timer_state_ = handle_state::closed;
    core::time_ns timer_at_ns_ = core::no_deadline_ns;
    uv_idle_t idle_{};
    handle_state idle_state_ = handle_state::closed;
    std::vector<std::function<void()>> posted_;
    std::vector<std::function<void()>> running_;

    bool draining_ = false;
    bool waiting_readable_ = false;
    driver::completion_book<std::function<void()>> completions_;
};

}  // namespace berth::uv::detail
