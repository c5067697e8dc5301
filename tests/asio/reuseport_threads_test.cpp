// docs/asio.md: the other multi-threaded shape. One io_context per thread, each with
// its own server listening on the same port with SO_REUSEPORT: the kernel spreads
// the connections over the listeners, and no server is ever touched from another
// thread. Run under ThreadSanitizer (the tsan preset), this is the data-race test of
// that shape; here it also shows that every connection is served, by more than one
// thread, and that closing each server on its own thread leaves nothing open.
#include <array>
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "asio_test_support.hpp"
#include "loopback_peer.hpp"

namespace berth::asio_test {

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr int threads_count = 4;
constexpr int clients_count = 64;

/// One thread, its io_context, and the server it alone calls.
class listener_thread {
public:
    listener_thread(int index, const posix::listen_spec& spec)
        : index_(index), work_(net::make_work_guard(ctx_)) {
        core::options opts;
        opts.on_handler_error = core::error_policy::ignore;
        opts.max_connections = clients_count;
        // Created on this thread; the server is handed to its own thread below and
        // never called from here again.
        server_.emplace(
            asio::server::create(ctx_, spec, opts, [this](address, reader& r, writer& w) -> task<> {
                while (auto line = co_await r.read_line()) {
                    ++served_;
                    w.write(std::to_string(index_) + "\n");
                }
            }));
        port_ = server_->listening_on().port;
        thread_ = std::thread([this] { ctx_.run(); });
    }
    listener_thread(const listener_thread&) = delete;
    listener_thread& operator=(const listener_thread&) = delete;
    ~listener_thread() { stop(); }

    [[nodiscard]] std::uint16_t port() const { return port_; }
    [[nodiscard]] int served() const { return served_.load(); }

    /// Closes the server on its own thread, with its connections, and waits until
    /// both completions have fired and the thread has run out of work.
    void stop() {
        if (!thread_.joinable()) return;
        std::promise<void> closed;
        net::post(ctx_, [this, &closed] {
            server_->close(true, [] {});
            server_->handlers_finished([this, &closed] {
                server_.reset();
                work_.reset();
                closed.set_value();
            });
        });
        const bool in_time = closed.get_future().wait_for(5s) == std::future_status::ready;
        CHECK(in_time);
        if (!in_time) ctx_.stop();
        thread_.join();
    }

private:
    int index_;
    net::io_context ctx_;
    net::executor_work_guard<net::io_context::executor_type> work_;
    std::optional<asio::server> server_;
    std::uint16_t port_ = 0;
    std::atomic<int> served_{0};
    std::thread thread_;
};

}  // namespace

TEST_CASE(
    "servers on one port with SO_REUSEPORT, one per thread and io_context, serve every "
    "client between them and close without leaving a descriptor") {
    const std::size_t before = open_descriptors();
    {
        std::vector<std::unique_ptr<listener_thread>> threads;
        // The first binds a port of the OS's choosing; the others bind the same one.
        threads.push_back(std::make_unique<listener_thread>(0, loopback().reuse_port(true)));
        const std::uint16_t port = threads.front()->port();
        REQUIRE(port != 0);
        for (int i = 1; i < threads_count; ++i) {
            threads.push_back(std::make_unique<listener_thread>(
                i, posix::listen_spec::bind_to(posix::bind_address::localhost(),
                                               posix::bind_port::number(port))
                       .reuse_port(true)));
            CHECK(threads.back()->port() == port);
        }

        const address where = address::ipv4({127, 0, 0, 1}, port);
        std::vector<std::unique_ptr<peer>> clients;
        for (int i = 0; i < clients_count; ++i) {
            clients.push_back(std::make_unique<peer>(where));
            clients.back()->send("which\n");
        }
        std::set<std::string> answered_by;
        int answered = 0;
        const auto give_up = std::chrono::steady_clock::now() + 5s;
        for (const auto& c : clients) {
            std::optional<std::string> line;
            while (!(line = c->take_line()) && std::chrono::steady_clock::now() < give_up) {
                std::this_thread::sleep_for(1ms);
            }
            if (!line) break;
            ++answered;
            answered_by.insert(*line);
        }
        CHECK(answered == clients_count);
        // The kernel hashes connections over the listeners: with 64 clients and four
        // listeners, all on one listener has odds of 4 in 4^64.
        CHECK(answered_by.size() >= 2);
        int served = 0;
        for (const auto& t : threads)
            served += t->served();
        CHECK(served == clients_count);

        for (const auto& t : threads)
            t->stop();
        for (const auto& c : clients)
            CHECK(c->ended());
    }
    CHECK(open_descriptors() == before);
}

}  // namespace berth::asio_test
