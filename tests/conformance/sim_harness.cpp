// The conformance harness over the simulator: virtual time, the simulated kernel,
// the line protocol handler of berth::sim.
//
// Facts of the simulator (backend_facts; docs/simulator.md): addresses are text,
// so "unix:PATH" and "unix:@NAME" are simulated addresses with no file system
// behind them and no sun_path limit; the only creation errors its kernel produces
// are EADDRINUSE (the address is bound) and EMFILE, reported as
// "listen on <address>: <text> (errno N)". Descriptors are the simulated table's.
#include <cerrno>
#include <exception>
#include <stdexcept>

#include <doctest/doctest.h>

#include "berth/sim/kernel.hpp"
#include "berth/sim/line_protocol.hpp"
#include "berth/sim/server.hpp"
#include "berth/sim/world.hpp"
#include "harness.hpp"
#include "server_harness.hpp"

namespace berth::conformance {

namespace {

struct client {
    std::optional<sim::socket> sock;
    std::string unsent;  // queued before the connect completed
    int error = 0;
    bool connected = false;
    bool done = false;
    bool close_pending = false;  // closed by the scenario before the connect completed
    bool closed = false;
};

sim::world_config harness_world() {
    sim::world_config c;
    c.kernel.fd_limit = 256;
    c.kernel.syn_retry_initial_ns = 10 * ms;  // short, as real-backend scenarios are
    return c;
}

class sim_harness final : public server_harness<sim::server> {
public:
    sim_harness() : world_(1, harness_world()) {}

    ~sim_harness() override { shut_down(); }

    backend_facts facts() const override {
        backend_facts f;
        f.posix_listen_errors = false;
        f.unix_sockets_are_files = false;
        return f;
    }

    start_result start_server(const server_config& config) override {
        sim::server_hooks hooks;
        hooks.on_handler_error = [this, raises = config.call_raises](const std::string& peer,
                                                                     std::exception_ptr error) {
            record_policy_call(calls_, peer, error, raises);
        };
        try {
            adopt(config.form == handler_form::sock
                      ? sim::server::create_sock(world_, config.listen, config.opts,
                                                 sim::line_protocol_sock_handler(world_), hooks)
                      : sim::server::create(world_, config.listen, config.opts,
                                            sim::line_protocol_stream_handler(world_), hooks));
        } catch (const sim::creation_error& e) {
            return start_result{e.what()};
        }
        return {};
    }

    // The sim reports "HOST:PORT" or the address as given ("unix:..."); mapped
    // here onto the real backends' form (the port, the path, "@NAME").
    std::string listening_on() const override {
        const std::string& address = server_->listening_on();
        if (address.rfind("unix:", 0) == 0) return address.substr(5);
        return address.substr(address.rfind(':') + 1);
    }

    std::string bound_address() const override {
        const std::string& address = server_->listening_on();
        return address.rfind("unix:", 0) == 0 ? address.substr(5) : address;
    }

    std::string occupied_address() override {
        const sim::kernel::listen_result r = world_.net().listen("127.0.0.1:0", 1);
        REQUIRE(r.error == 0);
        occupant_ = r.handle;
        return r.address;
    }

    std::string scratch_directory() override { return "/sim-scratch"; }

    client_id connect() override {
        const auto id = static_cast<client_id>(clients_.size());
        clients_.emplace_back();
        world_.net().connect(server_->listening_on(), [this, id](int error, std::uint32_t ep) {
            client& c = clients_[id];
            c.done = true;
            c.error = error;
            if (error != 0) return;
            c.connected = true;
            c.sock.emplace(world_, ep);
            if (!c.unsent.empty()) c.sock->send(c.unsent);
            c.unsent.clear();
            if (c.close_pending) c.sock->close();
        });
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

    std::optional<std::string> receive_line(client_id id, time_ns timeout_ns) override {
        std::optional<std::string> line;
        static_cast<void>(pump(
            [&] {
                const client& c = clients_.at(id);
                if (c.done && !c.connected) return true;
                if (!c.connected) return false;
                std::string text;
                sim::io_result status;
                if (!world_.net().read_line(c.sock->endpoint(), text, status)) return false;
                if (status.bytes > 0) line = std::move(text);
                return true;
            },
            timeout_ns));
        return line;
    }

    bool wait_peer_closed(client_id id, time_ns timeout_ns) override {
        return pump(
            [&] {
                const client& c = clients_.at(id);
                if (c.done && !c.connected) return true;
                if (!c.connected) return false;
                std::string sink;
                // Bounded: each read takes what is there, at most the whole buffer.
                for (int i = 0; i < 1024; ++i) {
                    const sim::io_result r = world_.net().read(c.sock->endpoint(), sink, 1 << 20);
                    sink.clear();
                    if (r.eof || (r.error != 0 && r.error != EAGAIN)) return true;
                    if (r.bytes == 0) return false;
                }
                return false;
            },
            timeout_ns);
    }

    void close_client(client_id id) override {
        client& c = clients_.at(id);
        if (c.closed) return;
        c.closed = true;
        if (c.connected) {
            c.sock->close();
        } else {
            c.close_pending = true;
        }
    }

    bool wait_until(const std::function<bool()>& condition, time_ns timeout_ns) override {
        return pump(condition, timeout_ns);
    }

    void advance(time_ns duration_ns) override {
        static_cast<void>(pump([] { return false; }, duration_ns));
    }

    void close(bool close_existing_connections) override {
        server_->close(close_existing_connections);
        static_cast<void>(pump([] { return false; }, 0));
    }
    void close_with_drain(time_ns drain_ns) override {
        server_->close_with_drain(world_.now_ns() + drain_ns);
        static_cast<void>(pump([] { return false; }, 0));
    }
    void inject_accept_errors(const std::vector<int>& errors) override {
        world_.net().inject_accept_errors(errors);
    }

    std::size_t open_descriptors() const override { return world_.net().fds_in_use(); }

    void shut_down() override {
        for (client_id id = 0; id < clients_.size(); ++id)
            close_client(id);
        if (server_) {
            server_->close(true);
            static_cast<void>(
                pump([this] { return close_finished_ && handlers_finished_; }, patience_ns));
            server_.reset();
        }
        if (occupant_ != 0) world_.net().close(occupant_);
        occupant_ = 0;
    }

private:
    // Runs the world; errors raised out of it are recorded, failed checks fail
    // the scenario.
    bool pump(const std::function<bool()>& condition, time_ns timeout_ns) {
        const time_ns until_ns = world_.now_ns() + timeout_ns;
        for (int i = 0; i < 1000; ++i) {
            try {
                return world_.run_until(condition, until_ns - world_.now_ns(), 10'000'000);
            } catch (const sim::check_failure&) {
                throw;
            } catch (const std::exception& e) {
                raised_.emplace_back(e.what());
            }
        }
        return condition();
    }

    sim::world world_;
    std::vector<client> clients_;
    sim::socket_handle occupant_ = 0;
};

}  // namespace

std::unique_ptr<harness> make_harness() {
    return std::make_unique<sim_harness>();
}

}  // namespace berth::conformance
