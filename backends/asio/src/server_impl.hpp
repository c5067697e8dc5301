// The Asio backend's driver of one core::server: it executes the core's actions
// with Asio and reports what it observes, under the contract of
// core/include/berth/core/server.hpp. Private to the backend.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "berth/asio/server.hpp"
#include "berth/core/server.hpp"
#include "berth/core/writer_tracker.hpp"
#include "berth/driver/accept_side.hpp"
#include "berth/driver/completion_book.hpp"
#include "berth/driver/connection_table.hpp"
#include "berth/driver/send_buffers.hpp"
#include "berth/posix/listener.hpp"

namespace berth::asio::detail {

/// The writer and reader state of a `create` connection.
struct stream_state {
    stream_state(const executor& ex, const core::options& opts)
        : tracker(opts.buffer_age_limit_ns, opts.final_flush_timeout_ns), check_timer(ex) {}

    core::writer_tracker tracker;
    driver::send_buffers out;
    bool write_pending = false;
    bool writer_reported = false;  // writer_failed or peer_gone already reported
    boost::asio::steady_timer check_timer;
    core::time_ns check_at_ns = core::no_deadline_ns;
    std::uint64_t check_epoch = 0;
    // Bytes received and not yet read: in[in_head ..].
    std::string in;
    std::size_t in_head = 0;
    bool at_end = false;
    boost::system::error_code end_reason;
};

/// One started connection. Shared with the Asio operations in flight on it, so
/// their buffers outlive a close that cancels them.
struct connection {
    connection(const executor& ex, server_impl& o) : owner(&o), sock(ex) {}

    server_impl* owner;
    core::connection_id id;
    posix::socket_address peer;
    asio::socket sock;
    bool result_decided = false;  // mirrors the core: the first result wins
    std::exception_ptr error;     // the error of an error result
    bool closing = false;         // close_socket received
    bool fd_closed = false;
    std::optional<stream_state> stream;  // `create` only
    std::optional<asio::reader> rd;
    std::optional<asio::writer> wr;
};

class server_impl : public std::enable_shared_from_this<server_impl> {
public:
    server_impl(const executor& ex, posix::listener l, const core::options& opts, sock_handler sock,
                stream_handler stream, server_hooks hooks);
    server_impl(const server_impl&) = delete;
    server_impl& operator=(const server_impl&) = delete;
    ~server_impl();

    /// The first drain: arms the first accept step.
    void start();

    // The user's calls.
    void request_close(bool close_existing, core::time_ns drain_deadline_ns);
    void add_completion(completion_kind kind, std::unique_ptr<pending_completion> completion);
    void set_drop(bool drop);

    // The writer and reader.
    void writer_write(connection& c, std::string_view data);
    [[nodiscard]] bool writer_accepts(const connection& c) const;

    [[nodiscard]] const char* check_invariant() const;
    [[nodiscard]] static core::time_ns now_ns();

    executor exec;
    posix::listener listen;
    boost::asio::posix::stream_descriptor listen_watch;
    core::server core;
    sock_handler sock_fn;
    stream_handler stream_fn;
    server_hooks hooks;
    driver::accept_side accepting;
    driver::connection_table<connection> connections;

private:
    void feed(const core::event& ev);
    void drain();
    void arm_timer(core::time_ns deadline_ns);
    void execute(const core::action& a);
    void wait_readable();
    void close_listener();
    void start_handler(const core::actions::start_handler& a);
    void close_socket(const core::actions::close_socket& a);
    void release(const core::actions::release_connection& a);

    void on_handler_done(core::connection_id id, std::exception_ptr error);
    void decide(connection& c, std::exception_ptr error);
    void finish_close(connection& c);
    void start_write(const std::shared_ptr<connection>& c);
    void on_written(connection& c, const boost::system::error_code& ec, std::size_t bytes);
    void evaluate_writer(connection& c);
    void arm_writer_check(connection& c, core::time_ns deadline_ns);

    bool draining_ = false;
    boost::asio::steady_timer timer_;
    core::time_ns timer_at_ns_ = core::no_deadline_ns;
    std::uint64_t timer_epoch_ = 0;
    bool waiting_readable_ = false;
    std::uint64_t wait_epoch_ = 0;
    driver::completion_book<std::unique_ptr<pending_completion>> completions_;
};

}  // namespace berth::asio::detail
