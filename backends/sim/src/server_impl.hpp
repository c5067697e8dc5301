// The sim backend's driver of one core::server: it executes the core's actions on
// the simulated kernel and reports what it observes, under the contract of
// core/include/berth/core/server.hpp. Private to the sim backend.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "berth/core/server.hpp"
#include "berth/core/writer_tracker.hpp"
#include "berth/sim/kernel.hpp"
#include "berth/sim/server.hpp"
#include "berth/sim/world.hpp"

namespace berth::sim {

/// One started connection: its handler's task and, for `create`, its writer.
struct connection_record final : detail::task_observer {
    server_impl* owner = nullptr;
    core::connection_id id;
    socket_handle handle = 0;
    std::uint32_t endpoint = nil;
    std::string peer;
    task<> body;
    bool result_decided = false;  // mirrors the core: the first result wins
    std::exception_ptr error;     // the error of an error result
    bool closing = false;         // close_socket received
    bool fd_closed = false;
    // `create` only.
    std::optional<sim::reader> rd;
    std::optional<sim::writer> wr;
    std::string out;  // the writer's buffer; bytes before out_head are flushed
    std::size_t out_head = 0;
    std::optional<core::writer_tracker> tracker;
    bool writer_reported = false;  // writer_failed / peer_gone already reported
    bool waiting_room = false;
    std::uint64_t check_epoch = 0;
    time_ns check_at_ns = core::no_deadline_ns;

    void on_task_done() noexcept override;
};

class server_impl final : public checked {
public:
    server_impl(world& w, std::string listen_address, const core::options& opts, sock_handler sock,
                stream_handler stream, server_hooks hooks);

    /// Creates the listening socket; throws creation_error.
    void open();

    // The user's calls.
    void close(bool close_existing, time_ns drain_deadline_ns, std::function<void()> on_closed);
    void close_finished(std::function<void()> callback);
    void handlers_finished(std::function<void()> callback);
    void set_drop(bool drop);

    // Called by records and the writer.
    void on_handler_done(core::connection_id id);
    void writer_write(connection_record& r, std::string_view data);

    void check_after_step() override;

    world& w;
    std::string listen_address;
    std::string bound_address;
    core::server core;
    sock_handler sock_fn;
    stream_handler stream_fn;
    server_hooks hooks;
    socket_handle listener = 0;
    socket_handle reserve = 0;
    std::vector<std::unique_ptr<connection_record>> records;  // by connection index
    std::uint32_t live_records = 0;
    std::vector<std::function<void()>> close_callbacks;
    std::vector<std::function<void()>> handlers_callbacks;
    bool close_fired = false;
    bool handlers_fired = false;
    bool close_returned = false;
    bool waiting_readable = false;
    std::uint64_t readable_epoch = 0;
    bool in_batch = false;
    bool draining = false;
    time_ns timer_at_ns = core::no_deadline_ns;
    std::uint64_t timer_epoch = 0;
    std::uint64_t events = 0;
    std::uint64_t closes = 0;
    std::uint64_t last_counters = ~0ULL;

private:
    void feed(const core::event& ev);
    void drain();
    void after_drain(time_ns deadline_ns);
    void execute(const core::action& a);
    void run_accept_batch(const core::actions::accept_batch& a);
    void start_handler(const core::actions::start_handler& a);
    void close_socket(const core::actions::close_socket& a);
    void release(const core::actions::release_connection& a);
    void fire(std::vector<std::function<void()>>& callbacks);

    connection_record* find(core::connection_id id);
    void flush(connection_record& r);
    void evaluate_writer(connection_record& r);
    void finish_close(connection_record& r);
    void decide(connection_record& r, std::exception_ptr error);
};

[[nodiscard]] std::uint64_t connection_key(core::connection_id id);

}  // namespace berth::sim
