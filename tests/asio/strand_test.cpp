// docs/asio.md: a server may be used with a multi-threaded io_context through a
// strand. Created on make_strand(ctx) of a context run by several threads, it
// serves many concurrent clients; its handlers, their reads and its completions
// run on the strand; close(true) ends every connection and leaves nothing open.
// Run under ThreadSanitizer, this is the backend's data-race test.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <sys/time.h>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>

#include "asio_test_support.hpp"
#include "berth/line_protocol.hpp"

namespace berth::asio_test {

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr int threads_count = 4;
constexpr int clients_count = 50;
constexpr int round_trips = 20;

/// A blocking loopback client whose reads give up after two seconds (a bound).
class blocking_client {
public:
    explicit blocking_client(const address& where) {
        const posix::socket_address to(where);
        fd_ = ::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        const timeval bound{2, 0};
        REQUIRE(::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof(bound)) == 0);
        REQUIRE(::connect(fd_, to.data(), to.length()) == 0);
    }
    blocking_client(const blocking_client&) = delete;
    blocking_client& operator=(const blocking_client&) = delete;
    ~blocking_client() { ::close(fd_); }

    void send(const std::string& data) const {
        REQUIRE(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) ==
                static_cast<ssize_t>(data.size()));
    }
    /// The next line without its newline; nothing at the end, an error or the bound.
    std::optional<std::string> read_line() {
        for (int reads = 0; reads < 1000; ++reads) {
            if (const std::size_t end = in_.find('\n'); end != std::string::npos) {
                std::string line = in_.substr(0, end);
                in_.erase(0, end + 1);
                return line;
            }
            char buffer[512];
            const ssize_t n = ::recv(fd_, buffer, sizeof(buffer), 0);
            if (n <= 0) return std::nullopt;
            in_.append(buffer, static_cast<std::size_t>(n));
        }
        return std::nullopt;
    }

private:
    int fd_ = -1;
    std::string in_;
};

/// The io_context run by several threads; an exception out of run() is counted,
/// not allowed to terminate the process.
class thread_pool {
public:
    explicit thread_pool(net::io_context& ctx) : ctx_(ctx), work_(net::make_work_guard(ctx)) {
        for (int i = 0; i < threads_count; ++i) {
            threads_.emplace_back([this] {
                try {
                    ctx_.run();
                } catch (...) {
                    ++escaped_;
                }
                const std::lock_guard lock(mutex_);
                ++ended_;
                ended_changed_.notify_all();
            });
        }
    }
    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;
    // A failed check may leave the server open: stop the context rather than hang.
    ~thread_pool() {
        ctx_.stop();
        join_threads();
    }

    /// Lets run() return once the context has no work left and waits (bounded)
    /// for every thread; false when work was left, and the context was stopped.
    bool run_out_of_work() {
        work_.reset();
        std::unique_lock lock(mutex_);
        const bool ran_out =
            ended_changed_.wait_for(lock, 5s, [this] { return ended_ == threads_count; });
        lock.unlock();
        if (!ran_out) ctx_.stop();
        join_threads();
        return ran_out;
    }
    [[nodiscard]] int escaped() const { return escaped_.load(); }

private:
    void join_threads() {
        for (std::thread& t : threads_)
            if (t.joinable()) t.join();
    }

    net::io_context& ctx_;
    net::executor_work_guard<net::io_context::executor_type> work_;
    std::mutex mutex_;
    std::condition_variable ended_changed_;
    int ended_ = 0;
    std::atomic<int> escaped_{0};
    std::vector<std::thread> threads_;  // last: started once the rest exists
};

/// Runs `f` on `strand` and returns its result: every call on the server is made
/// there, as docs/asio.md requires.
template <typename F>
auto on_strand(const asio::executor& strand, F f) -> decltype(f()) {
    using result_type = decltype(f());
    // Not a posted packaged_task: Asio takes one for a completion token.
    auto promise = std::make_shared<std::promise<result_type>>();
    std::future<result_type> result = promise->get_future();
    net::post(strand, [promise, f = std::move(f)]() mutable {
        try {
            promise->set_value(f());
        } catch (...) {
            promise->set_exception(std::current_exception());
        }
    });
    REQUIRE(result.wait_for(5s) == std::future_status::ready);
    return result.get();
}

void wait_bounded(std::future<void>& done) {
    REQUIRE(done.wait_for(5s) == std::future_status::ready);
    done.get();
}

core::options strand_options() {
    core::options o;
    o.max_connections = clients_count;
    o.on_handler_error = core::error_policy::ignore;
    return o;
}

struct served {
    std::uint32_t connections;
    bool invariant;
    core::statistics stats;
};

// Every client sends one line per round before any reads its answer, so all
// clients' requests are in flight together across the context's threads.
void serve_clients(asio::server& s, const asio::executor& strand) {
    const address where = on_strand(strand, [&s] { return s.listening_on_address(); });
    std::vector<std::unique_ptr<blocking_client>> clients;
    for (int i = 0; i < clients_count; ++i)
        clients.push_back(std::make_unique<blocking_client>(where));
    for (int round = 0; round < round_trips; ++round) {
        for (int i = 0; i < clients_count; ++i)
            clients[static_cast<std::size_t>(i)]->send(std::to_string(i) + " " +
                                                       std::to_string(round) + "\n");
        for (int i = 0; i < clients_count; ++i) {
            const auto line = clients[static_cast<std::size_t>(i)]->read_line();
            REQUIRE(line == std::to_string(i) + " " + std::to_string(round));
        }
    }
    CHECK(on_strand(strand, [&s] { return s.num_connections(); }) == clients_count);

    // Half the clients end their handlers; close(true) ends the other half.
    for (int i = 0; i < clients_count; i += 2) {
        clients[static_cast<std::size_t>(i)]->send("quit\n");
        REQUIRE(clients[static_cast<std::size_t>(i)]->read_line() == "bye");
    }
    std::future<void> closed = on_strand(strand, [&s] { return s.close(true, net::use_future); });
    std::future<void> finished =
        on_strand(strand, [&s] { return s.handlers_finished(net::use_future); });
    wait_bounded(closed);
    wait_bounded(finished);
    for (auto& c : clients)
        CHECK_FALSE(c->read_line().has_value());  // the server closed every connection

    const served after = on_strand(strand, [&s] {
        return served{s.num_connections(), s.invariant(), s.stats()};
    });
    CHECK(after.connections == 0);
    CHECK(after.invariant);
    CHECK(after.stats.accepted == clients_count);
    CHECK(after.stats.handlers_started == clients_count);
    CHECK(after.stats.handler_ok == clients_count);
    CHECK(after.stats.handler_errors == 0);
    CHECK(on_strand(strand, [&s] { return s.listening_socket(); }) == -1);
}

}  // namespace

TEST_CASE("a create server on a strand of a multi-threaded io_context serves concurrent clients") {
    const std::size_t before = open_descriptors();
    {
        net::io_context ctx;
        const net::strand<net::io_context::executor_type> typed = net::make_strand(ctx);
        const asio::executor strand = typed;
        std::atomic<int> off_strand{0};
        std::atomic<int> handlers{0};
        thread_pool pool(ctx);
        {
            // Created on the strand too: from then on every call on it is made there.
            asio::server s = on_strand(strand, [&] {
                return asio::server::create(strand, loopback(), strand_options(),
                                            [&](address, reader& r, writer& w) -> task<> {
                                                ++handlers;
                                                // The handler, and every read's resumption, runs on
                                                // the strand.
                                                auto here = [&] {
                                                    if (!typed.running_in_this_thread())
                                                        ++off_strand;
                                                };
                                                here();
                                                while (auto line = co_await r.read_line()) {
                                                    here();
                                                    if (*line == "quit") {
                                                        w.write("bye\n");
                                                        co_return;
                                                    }
                                                    w.write(*line + "\n");
                                                }
                                                here();
                                            });
            });
            CHECK(s.get_executor() == strand);
            serve_clients(s, strand);
        }
        CHECK(pool.run_out_of_work());  // the closed server holds no work
        CHECK(pool.escaped() == 0);
        CHECK(handlers.load() == clients_count);
        CHECK(off_strand.load() == 0);
    }
    CHECK(open_descriptors() == before);
}

TEST_CASE(
    "a create_sock server on a strand of a multi-threaded io_context serves concurrent clients") {
    const std::size_t before = open_descriptors();
    {
        net::io_context ctx;
        const asio::executor strand = net::make_strand(ctx);
        thread_pool pool(ctx);
        {
            asio::server s = on_strand(strand, [&] {
                return asio::server::create_sock(strand, loopback(), strand_options(),
                                                 line_protocol_sock_handler());
            });
            serve_clients(s, strand);
        }
        CHECK(pool.run_out_of_work());  // the closed server holds no work
        CHECK(pool.escaped() == 0);
    }
    CHECK(open_descriptors() == before);
}

}  // namespace berth::asio_test
