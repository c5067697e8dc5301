// A consumer of berth::asio: serves the portable echo handler on 127.0.0.1 (a port
// the kernel picks), asks it one line from a client thread, closes, and exits 0 if
// the answer was the line. Needs only what find_package(berth COMPONENTS asio), or
// berth::asio as a subproject, provides.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "berth/asio/server.hpp"
#include "berth/posix/parse_listen_spec.hpp"
#include "consumer.hpp"

int main() try {
    alarm(30);  // a hung run is killed (SIGALRM) and fails the check

    boost::asio::io_context ctx(1);
    berth::core::options opts;
    opts.max_connections = 4;
    opts.on_handler_error = berth::core::error_policy::raise;  // a handler error leaves run()
    berth::asio::server s = berth::asio::server::create(
        ctx, berth::posix::parse_listen_spec("127.0.0.1:0"), opts, consumer::echo);
    const std::uint16_t port = s.listening_on().port;

    std::string answer;
    std::thread client([&] {
        answer = consumer::ask_loopback(port, "hello from an asio consumer");
        boost::asio::post(ctx, [&] { s.close(false, [] {}); });
    });
    ctx.run();  // returns once the server is closed and its connection gone
    client.join();

    if (s.stats().accepted != 1 || s.num_connections() != 0) {
        std::fprintf(stderr, "asio consumer: FAILED: %llu accepted, %u still open\n",
                     static_cast<unsigned long long>(s.stats().accepted), s.num_connections());
        return 1;
    }
    return consumer::expect("asio consumer", answer, "hello from an asio consumer");
} catch (const std::exception& e) {
    std::fprintf(stderr, "asio consumer: FAILED: %s\n", e.what());
    return 1;
}
