// The conformance harness over the Asio backend: an io_context run in the test's
// thread, between the clients' turns (posix/real_harness.hpp has the rest).
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "berth/asio/server.hpp"
#include "berth/posix/parse_listen_spec.hpp"
#include "posix/real_harness.hpp"

namespace berth::conformance {

namespace {

namespace net = boost::asio;

class asio_harness final : public real_harness<asio::server> {
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

private:
    asio::server create_server(const std::string& listen, const core::options& opts,
                               reader_writer_handler handler, server_hooks hooks) override {
        return asio::server::create(*ctx_, posix::parse_listen_spec(listen), opts,
                                    std::move(handler), std::move(hooks));
    }
    asio::server create_server(const std::string& listen, const core::options& opts,
                               stream_handler handler, server_hooks hooks) override {
        return asio::server::create_sock(*ctx_, posix::parse_listen_spec(listen), opts,
                                         std::move(handler), std::move(hooks));
    }

    void run_briefly() override {
        try {
            if (ctx_->stopped()) ctx_->restart();
            if (ctx_->run_one_for(std::chrono::milliseconds(1)) == 0) {
                std::this_thread::sleep_for(std::chrono::microseconds(200));
            }
        } catch (const std::exception& e) {
            record_raised(e);
        }
    }

    // Bounded: each poll runs what is ready; nothing new is started.
    void settle() override {
        for (int i = 0; i < 1000; ++i) {
            try {
                ctx_->restart();
                if (ctx_->poll() == 0) break;
            } catch (const std::exception& e) {
                record_raised(e);
            }
        }
    }

    std::optional<net::io_context> ctx_;
};

}  // namespace

std::unique_ptr<harness> make_harness() {
    return std::make_unique<asio_harness>();
}

}  // namespace berth::conformance
