// The conformance harness over the libuv backend: a loop of the harness's own,
// real loopback sockets for the clients (non-blocking, served between turns of the
// loop), the line protocol handlers of berth/uv/line_protocol.hpp, and errors
// raised on the loop collected from berth::uv::run.
#include <cerrno>
#include <chrono>
#include <exception>
#include <netinet/in.h>
#include <optional>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "berth/posix/listen_error.hpp"
#include "berth/posix/parse_listen_spec.hpp"
#include "berth/uv/line_protocol.hpp"
#include "berth/uv/run.hpp"
#include "berth/uv/server.hpp"
#include "harness.hpp"
#include "posix/real_sockets.hpp"
#include "server_harness.hpp"

namespace berth::conformance {

namespace {

// Longest a loop turn blocks: the clients are served between turns.
constexpr std::uint64_t tick_ms = 1;
// Turns of the loop when the harness shuts down; far more than a close needs.
constexpr int shutdown_turns_max = 10'000;

time_ns clock_ns() {
    return posix_support::steady_now_ns();
}

struct client {
    int fd = -1;
    bool connecting = true;
    bool failed = false;  // the connect was refused or reset
    bool ended = false;   // end of stream or an error seen on read
    std::string unsent;
    std::string in;
};

class uv_harness final : public server_harness<uv::server> {
public:
    uv_harness() {
        REQUIRE(uv_loop_init(&loop_) == 0);
        REQUIRE(uv_timer_init(&loop_, &tick_) == 0);
        // libuv opens a loop-wide spare descriptor (/dev/null, for its EMFILE
        // trick) when the loop's first stream is initialised, and keeps it until
        // uv_loop_close: opened here, so that the count before a scenario has it.
        uv_tcp_t warm_up{};
        REQUIRE(uv_tcp_init(&loop_, &warm_up) == 0);
        uv_close(reinterpret_cast<uv_handle_t*>(&warm_up), nullptr);
        static_cast<void>(uv_run(&loop_, UV_RUN_NOWAIT));
    }

    uv_harness(const uv_harness&) = delete;
    uv_harness& operator=(const uv_harness&) = delete;

    ~uv_harness() override {
        shut_down();
        uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
        run_until_idle();
        uv::forget_loop(&loop_);
        CHECK(uv_loop_close(&loop_) == 0);
    }

    backend_facts facts() const override { return {}; }

    start_result start_server(const server_config& config) override {
        uv::server_hooks hooks;
        hooks.on_handler_error = [this, raises = config.call_raises](
                                     const posix::socket_address& peer, std::exception_ptr error) {
            record_policy_call(calls_, peer.to_string(), error, raises);
        };
        try {
            const posix::listen_spec spec = posix::parse_listen_spec(config.listen);
            adopt(config.form == handler_form::sock
                      ? uv::server::create_sock(&loop_, spec, config.opts,
                                                uv::line_protocol_sock_handler(&loop_), hooks)
                      : uv::server::create(&loop_, spec, config.opts,
                                           uv::line_protocol_handler(&loop_), hooks));
        } catch (const posix::listen_error& e) {
            return start_result{e.what()};
        } catch (const std::invalid_argument& e) {  // creation_error, a bad listen text
            return start_result{e.what()};
        }
        address_ = server_->listening_on_address();
        return {};
    }

    std::string listening_on() const override { return server_->listening_on().to_string(); }
    std::string bound_address() const override {
        return server_->listening_on_address().to_string();
    }
    std::string occupied_address() override { return occupied_.take(); }
    std::string scratch_directory() override { return scratch_.path(); }

    std::size_t open_descriptors() const override { return posix_support::process_descriptors(); }

    // Clients first, then the server (closing its connections); the server closes
    // its own handles once closed and finished, and the loop runs until they are.
    void shut_down() override {
        for (client& c : clients_) {
            if (c.fd >= 0) ::close(c.fd);
            c.fd = -1;
        }
        if (server_) {
            try {
                server_->close(true);
            } catch (const std::exception&) {
            }
            static_cast<void>(
                pump([this] { return close_finished_ && handlers_finished_; }, patience_ns));
            run_until_idle();
            server_.reset();
        }
        occupied_.release();
        scratch_.release();
    }

    client_id connect() override {
        const auto id = static_cast<client_id>(clients_.size());
        client& c = clients_.emplace_back();
        c.fd = ::socket(address_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        REQUIRE(c.fd >= 0);
        if (::connect(c.fd, address_.data(), address_.length()) == 0) {
            c.connecting = false;
        } else if (errno != EINPROGRESS) {
            c.failed = true;
            c.connecting = false;
        }
        return id;
    }

    void send(client_id id, std::string_view data) override {
        clients_.at(id).unsent.append(data);
        serve_clients();
    }

    std::optional<std::string> receive_line(client_id id, time_ns timeout_ns) override {
        const reading_guard guard(*this, id);
        std::optional<std::string> line;
        static_cast<void>(pump(
            [&] {
                client& c = clients_.at(id);
                const std::size_t nl = c.in.find('\n');
                if (nl != std::string::npos) {
                    line = c.in.substr(0, nl);
                    c.in.erase(0, nl + 1);
                    return true;
                }
                return c.failed || c.ended;
            },
            timeout_ns));
        return line;
    }

    bool wait_peer_closed(client_id id, time_ns timeout_ns) override {
        const reading_guard guard(*this, id);
        return pump(
            [&] {
                client& c = clients_.at(id);
                c.in.clear();
                return c.failed || c.ended;
            },
            timeout_ns);
    }

    void close_client(client_id id) override {
        client& c = clients_.at(id);
        if (c.fd >= 0) ::close(c.fd);
        c.fd = -1;
        c.ended = true;
    }

    bool wait_until(const std::function<bool()>& condition, time_ns timeout_ns) override {
        return pump(condition, timeout_ns);
    }

    void advance(time_ns duration_ns) override {
        static_cast<void>(pump([] { return false; }, duration_ns));
    }

    void close(bool close_existing_connections) override {
        server_->close(close_existing_connections);
        run_turn(UV_RUN_NOWAIT);
    }
    void close_with_drain(time_ns drain_ns) override {
        server_->close_with_drain(std::chrono::nanoseconds(drain_ns));
        run_turn(UV_RUN_NOWAIT);
    }
    void inject_accept_errors(const std::vector<int>& errors) override {
        for (const int e : errors)
            server_->inject_accept_faults(e, 1);
    }

private:
    // Runs the loop until nothing is active; errors raised meanwhile were the
    // scenario's to check.
    void run_until_idle() {
        for (int i = 0; i < shutdown_turns_max; ++i) {
            try {
                if (uv::run(&loop_, UV_RUN_ONCE) == 0 && !uv::has_pending_error(&loop_)) break;
            } catch (const std::exception&) {
            }
        }
    }

    void run_turn(uv_run_mode mode) {
        try {
            static_cast<void>(uv::run(&loop_, mode));
        } catch (const std::exception& e) {
            raised_.emplace_back(e.what());
        }
    }

    // Completes connects and sends what is queued, without blocking; reads only
    // for the client being waited on (a client that is not asked never reads, so
    // its peer's writes pile up as with a real slow reader).
    void serve_clients() {
        for (std::size_t i = 0; i < clients_.size(); ++i) {
            client& c = clients_[i];
            if (c.fd < 0 || c.failed) continue;
            if (c.connecting) {
                pollfd p{c.fd, POLLOUT, 0};
                if (::poll(&p, 1, 0) <= 0) continue;
                int error = 0;
                socklen_t length = sizeof(error);
                ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
                c.connecting = false;
                if (error != 0) {
                    c.failed = true;
                    continue;
                }
            }
            while (!c.unsent.empty()) {
                const ssize_t n = ::send(c.fd, c.unsent.data(), c.unsent.size(), MSG_NOSIGNAL);
                if (n <= 0) break;
                c.unsent.erase(0, static_cast<std::size_t>(n));
            }
            if (i != reading_) continue;
            char buffer[64 * 1024];
            // Bounded: at most 64 reads of a full buffer per turn.
            for (int turn = 0; turn < 64 && !c.ended; ++turn) {
                const ssize_t n = ::recv(c.fd, buffer, sizeof(buffer), 0);
                if (n > 0) {
                    c.in.append(buffer, static_cast<std::size_t>(n));
                    continue;
                }
                if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                    c.ended = true;
                }
                break;
            }
        }
    }

    // Runs the loop and serves the clients until `condition` holds or the time is up.
    bool pump(const std::function<bool()>& condition, time_ns timeout_ns) {
        const time_ns until_ns = clock_ns() + timeout_ns;
        static_cast<void>(uv_timer_start(
            &tick_, [](uv_timer_t*) {}, tick_ms, tick_ms));
        bool met = false;
        // Bounded by the clock: every turn blocks at most tick_ms.
        for (;;) {
            serve_clients();
            if (condition()) {
                met = true;
                break;
            }
            if (clock_ns() >= until_ns) break;
            run_turn(UV_RUN_ONCE);
        }
        static_cast<void>(uv_timer_stop(&tick_));
        return met;
    }

    struct reading_guard {
        reading_guard(uv_harness& h, client_id id) : self(h) { self.reading_ = id; }
        reading_guard(const reading_guard&) = delete;
        reading_guard& operator=(const reading_guard&) = delete;
        ~reading_guard() { self.reading_ = no_client; }
        uv_harness& self;
    };
    static constexpr std::size_t no_client = static_cast<std::size_t>(-1);

    std::size_t reading_ = no_client;
    uv_loop_t loop_{};
    uv_timer_t tick_{};
    posix::socket_address address_;
    posix_support::occupied_port occupied_;
    posix_support::scratch_directory scratch_;
    std::vector<client> clients_;
};

}  // namespace

std::unique_ptr<harness> make_harness() {
    return std::make_unique<uv_harness>();
}

}  // namespace berth::conformance
