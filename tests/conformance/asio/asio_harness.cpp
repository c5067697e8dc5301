// The conformance harness over the Asio backend: real loopback sockets, real time,
// the line protocol of berth/asio/line_protocol.hpp. The io_context and the
// clients run in the test's thread: every wait pumps both, with a bound.
#include <cerrno>
#include <chrono>
#include <deque>
#include <exception>
#include <fcntl.h>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <doctest/doctest.h>

#include "berth/asio/line_protocol.hpp"
#include "berth/asio/server.hpp"
#include "berth/posix/listen_error.hpp"
#include "berth/posix/parse_listen_spec.hpp"
#include "harness.hpp"
#include "posix/real_sockets.hpp"
#include "server_harness.hpp"

namespace berth::conformance {

namespace {

namespace net = boost::asio;

using posix_support::steady_now_ns;

struct client {
    int fd = -1;
    std::string unsent;
    std::string received;
    bool ended = false;  // end of stream or an error: nothing more will come
    bool close_pending = false;
};

class asio_harness final : public server_harness<asio::server> {
public:
    asio_harness() {
        ctx_.emplace(1);
        // The reactor (epoll, eventfd, timerfd) is created with the first I/O
        // object: created here, so that the descriptor count before a scenario
        // includes it.
        const net::steady_timer warm_up(*ctx_);
    }

    asio_harness(const asio_harness&) = delete;
    asio_harness& operator=(const asio_harness&) = delete;

    ~asio_harness() override { shut_down(); }

    backend_facts facts() const override { return {}; }

    start_result start_server(const server_config& config) override {
        asio::server_hooks hooks;
        hooks.on_handler_error = [this, raises = config.call_raises](
                                     const posix::socket_address& peer, std::exception_ptr error) {
            record_policy_call(calls_, peer.to_string(), error, raises);
        };
        try {
            const posix::listen_spec spec = posix::parse_listen_spec(config.listen);
            adopt(config.form == handler_form::sock
                      ? asio::server::create_sock(*ctx_, spec, config.opts,
                                                  asio::line_protocol_sock_handler(), hooks)
                      : asio::server::create(*ctx_, spec, config.opts,
                                             asio::line_protocol_handler(), hooks));
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

    client_id connect() override {
        const auto id = static_cast<client_id>(clients_.size());
        clients_.emplace_back();
        client& c = clients_.back();
        c.fd = ::socket(address_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        REQUIRE(c.fd >= 0);
        // Loopback TCP: 0 or EINPROGRESS while the listen queue is full. A refused
        // connection (nobody listens any more) shows up as the stream's end.
        if (::connect(c.fd, address_.data(), address_.length()) != 0 && errno != EINPROGRESS) {
            c.ended = true;
        }
        return id;
    }

    void send(client_id id, std::string_view data) override {
        client& c = clients_.at(id);
        c.unsent.append(data);
        flush(c);
    }

    std::optional<std::string> receive_line(client_id id, time_ns timeout_ns) override {
        std::optional<std::string> line;
        static_cast<void>(pump(
            [&] {
                client& c = clients_.at(id);
                read_available(c);
                if (const std::size_t end = c.received.find('\n'); end != std::string::npos) {
                    line = c.received.substr(0, end);
                    c.received.erase(0, end + 1);
                    return true;
                }
                return c.ended;
            },
            timeout_ns));
        return line;
    }

    bool wait_peer_closed(client_id id, time_ns timeout_ns) override {
        return pump(
            [&] {
                client& c = clients_.at(id);
                read_available(c);
                c.received.clear();
                return c.ended;
            },
            timeout_ns);
    }

    void close_client(client_id id) override {
        client& c = clients_.at(id);
        flush(c);
        if (c.unsent.empty()) {
            close_fd(c);
        } else {
            c.close_pending = true;  // closed once its bytes are sent
        }
    }

    bool wait_until(const std::function<bool()>& condition, time_ns timeout_ns) override {
        return pump(condition, timeout_ns);
    }

    void advance(time_ns duration_ns) override {
        static_cast<void>(pump([] { return false; }, duration_ns));
    }

    void close(bool close_existing_connections) override {
        server_->close(close_existing_connections, [] {});
        static_cast<void>(pump([] { return false; }, 0));
    }
    void close_with_drain(time_ns drain_ns) override {
        server_->close_with_drain(std::chrono::nanoseconds(drain_ns), [] {});
        static_cast<void>(pump([] { return false; }, 0));
    }
    void inject_accept_errors(const std::vector<int>& errors) override {
        for (const int e : errors)
            server_->inject_accept_faults(e, 1);
    }

    std::size_t open_descriptors() const override { return posix_support::process_descriptors(); }

    // Clients first, then the server (closing its connections), then whatever the
    // io_context still holds.
    void shut_down() override {
        for (client& c : clients_)
            close_fd(c);
        if (server_) {
            try {
                server_->close(true, [] {});
            } catch (const std::exception&) {
            }
            static_cast<void>(
                pump([this] { return close_finished_ && handlers_finished_; }, patience_ns));
            server_.reset();
        }
        // Bounded: each poll runs what is ready; nothing new is started.
        for (int i = 0; i < 1000; ++i) {
            try {
                ctx_->restart();
                if (ctx_->poll() == 0) break;
            } catch (const std::exception& e) {
                raised_.emplace_back(e.what());
            }
        }
        occupied_.release();
        scratch_.release();
    }

private:
    void flush(client& c) {
        while (c.fd >= 0 && !c.unsent.empty()) {
            const ssize_t n = ::send(c.fd, c.unsent.data(), c.unsent.size(), MSG_NOSIGNAL);
            if (n > 0) {
                c.unsent.erase(0, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == ENOTCONN || errno == EINTR)) break;
            c.unsent.clear();  // the server is gone: nothing will be read
            c.ended = true;
        }
        if (c.close_pending && c.unsent.empty()) close_fd(c);
    }

    static void read_available(client& c) {
        if (c.fd < 0) return;
        char buffer[65536];
        // Bounded: at most a few megabytes per look.
        for (int i = 0; i < 64; ++i) {
            const ssize_t n = ::recv(c.fd, buffer, sizeof(buffer), 0);
            if (n > 0) {
                c.received.append(buffer, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == ENOTCONN || errno == EINTR)) return;
            c.ended = true;  // 0: end of stream; other errors: reset, refused
            return;
        }
    }

    static void close_fd(client& c) {
        if (c.fd >= 0) ::close(c.fd);
        c.fd = -1;
        c.ended = true;
    }

    // Runs the io_context and the clients until `condition` holds or the time is
    // up. Errors raised out of run() are recorded and running goes on.
    bool pump(const std::function<bool()>& condition, time_ns timeout_ns) {
        const time_ns until_ns = steady_now_ns() + timeout_ns;
        // Bounded by the clock; the count guards against a clock that stands still.
        for (int i = 0; i < 10'000'000; ++i) {
            for (client& c : clients_)
                flush(c);
            if (condition()) return true;
            if (steady_now_ns() >= until_ns) return false;
            try {
                if (ctx_->stopped()) ctx_->restart();
                if (ctx_->run_one_for(std::chrono::milliseconds(1)) == 0) {
                    std::this_thread::sleep_for(std::chrono::microseconds(200));
                }
            } catch (const std::exception& e) {
                raised_.emplace_back(e.what());
            }
        }
        return condition();
    }

    std::optional<net::io_context> ctx_;
    posix_support::occupied_port occupied_;
    posix_support::scratch_directory scratch_;
    posix::socket_address address_;
    std::deque<client> clients_;
};

}  // namespace

std::unique_ptr<harness> make_harness() {
    return std::make_unique<asio_harness>();
}

}  // namespace berth::conformance
