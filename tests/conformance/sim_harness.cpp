// The conformance harness over the simulator: virtual time, the simulated kernel,
// clients that live in the simulated world.
//
// Facts of the simulator (backend_facts; docs/simulator.md): addresses are text,
// so "unix:PATH" and "unix:@NAME" are simulated addresses with no file system
// behind them and no sun_path limit; its kernel's creation errors (EADDRINUSE,
// EMFILE) carry no hint. Descriptors are the simulated table's.
#include <cerrno>
#include <deque>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include <doctest/doctest.h>

#include "berth/sim/kernel.hpp"
#include "berth/sim/server.hpp"
#include "berth/sim/world.hpp"
#include "harness.hpp"
#include "server_harness.hpp"

namespace berth::conformance {

namespace {

struct client {
    std::optional<sim::socket> sock;
    std::string unsent;  // queued before the connect completed
    bool connected = false;
    bool done = false;           // the connect completed, either way
    bool ended = false;          // its stream ended, or it was closed
    bool close_pending = false;  // closed by the scenario before the connect completed
    bool closed = false;
};

constexpr std::uint32_t harness_fd_limit = 256;

sim::world_config harness_world() {
    sim::world_config c;
    c.kernel.fd_limit = harness_fd_limit;
    c.kernel.syn_retry_initial_ns = 10 * ms;  // short, as real-backend scenarios are
    return c;
}

// A client's connect, as a task in the world: what the scenario queued meanwhile
// is sent once it is connected.
sim::task<> connect_client(sim::world& w, address to, client& c) {
    sim::connect_result r = co_await w.connect(to);
    c.done = true;
    if (!r.sock) co_return;  // refused: the stream's end for the scenario
    c.connected = true;
    c.sock.emplace(*r.sock);
    if (!c.unsent.empty()) c.sock->send(c.unsent);
    c.unsent.clear();
    if (c.close_pending) {
        c.sock->close();
        c.ended = true;
    }
}

class sim_harness final : public server_harness<sim::server> {
public:
    sim_harness() : world_(1, harness_world()) {}
    sim_harness(const sim_harness&) = delete;
    sim_harness& operator=(const sim_harness&) = delete;
    ~sim_harness() override { shut_down(); }

    [[nodiscard]] backend_facts facts() const override {
        backend_facts f;
        f.listen_error_hints = false;
        f.unix_sockets_are_files = false;
        return f;
    }

    [[nodiscard]] std::string occupied_address() override {
        const sim::kernel::listen_result r = world_.net().listen("127.0.0.1:0", 1);
        REQUIRE(r.error == 0);
        occupant_ = r.handle;
        return r.address;
    }

    [[nodiscard]] std::string scratch_directory() override { return "/sim-scratch"; }

    client_id connect() override {
        const auto id = static_cast<client_id>(clients_.size());
        world_.spawn(connect_client(world_, server_address(), clients_.emplace_back()));
        return id;
    }

    void send(client_id id, std::string_view data) override {
        client& c = clients_.at(id);
        if (c.connected) {
            c.sock->send(data);
        } else {
            c.unsent.append(data);
        }
    }

    void close_client(client_id id) override {
        client& c = clients_.at(id);
        if (c.closed) return;
        c.closed = true;
        if (c.connected) {
            c.sock->close();  // what it queued is still delivered
            c.ended = true;
        } else {
            c.close_pending = true;
        }
    }

    [[nodiscard]] time_ns now_ns() const override { return world_.now_ns(); }
    [[nodiscard]] std::size_t open_descriptors() const override {
        return world_.net().fds_in_use();
    }
    [[nodiscard]] std::uint64_t descriptor_limit() const override { return harness_fd_limit; }

private:
    sim::server create_server(const std::string& listen, const core::options& opts,
                              reader_writer_handler handler, server_hooks hooks) override {
        return sim::server::create(world_, listen, opts, std::move(handler), std::move(hooks));
    }
    sim::server create_server(const std::string& listen, const core::options& opts,
                              stream_handler handler, server_hooks hooks) override {
        return sim::server::create_sock(world_, listen, opts, std::move(handler), std::move(hooks));
    }

    std::optional<std::string> take_line(client_id id) override {
        client& c = clients_.at(id);
        if (!c.connected || c.ended) return std::nullopt;
        std::string line;
        sim::io_result status;
        if (!world_.net().read_line(c.sock->endpoint(), line, status)) return std::nullopt;
        if (status.bytes == line.size() + 1) return line;  // with its newline: whole
        c.ended = true;  // the end (after a last line cut short), a reset
        return std::nullopt;
    }

    std::size_t discard_received(client_id id) override {
        client& c = clients_.at(id);
        if (!c.connected || c.ended) return 0;
        std::size_t received = 0;
        std::string sink;
        // Bounded: each read takes what is there, at most a megabyte.
        for (int i = 0; i < 1024; ++i) {
            const sim::io_result r = world_.net().read(c.sock->endpoint(), sink, 1 << 20);
            sink.clear();
            received += r.bytes;
            if (r.eof || (r.error != 0 && r.error != EAGAIN)) {
                c.ended = true;
                break;
            }
            if (r.bytes == 0) break;
        }
        return received;
    }

    [[nodiscard]] bool stream_ended(client_id id) const override {
        const client& c = clients_.at(id);
        return c.ended || (c.done && !c.connected);
    }

    // Runs the world; errors raised out of it are recorded, failed checks fail
    // the scenario.
    bool pump(const std::function<bool()>& condition, time_ns timeout_ns) override {
        const time_ns until_ns = world_.now_ns() + timeout_ns;
        for (int i = 0; i < 1000; ++i) {
            try {
                return world_.run_until(condition, until_ns - world_.now_ns(), 10'000'000);
            } catch (const sim::check_failure&) {
                throw;
            } catch (const std::exception& e) {
                record_raised(e);
            }
        }
        return condition();
    }

    void close_all_clients() override {
        for (client_id id = 0; id < clients_.size(); ++id)
            close_client(id);
    }

    void release_backend() override {
        if (occupant_ != 0) world_.net().close(occupant_);
        occupant_ = 0;
    }

    sim::world world_;
    std::deque<client> clients_;  // a deque: the connect tasks hold references
    sim::socket_handle occupant_ = 0;
};

}  // namespace

std::unique_ptr<harness> make_harness() {
    return std::make_unique<sim_harness>();
}

}  // namespace berth::conformance
