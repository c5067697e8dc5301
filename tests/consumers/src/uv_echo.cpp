// A consumer of berth::uv: serves the portable echo handler on a libuv loop at
// 127.0.0.1 (a port the kernel picks), asks it one line from a client thread,
// closes, and exits 0 if the answer was the line and the loop closes cleanly.
// Built from pkg-config's flags alone (scripts/check-consumers.sh):
//   g++ -std=c++20 uv_echo.cpp loopback_client.cpp $(pkg-config --cflags --libs berth-uv)
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>
#include <unistd.h>

#include <uv.h>

#include "berth/posix/parse_listen_spec.hpp"
#include "berth/uv/run.hpp"
#include "berth/uv/server.hpp"
#include "consumer.hpp"

int main() try {
    alarm(30);  // a hung run is killed (SIGALRM) and fails the check

    uv_loop_t loop{};
    if (uv_loop_init(&loop) != 0) {
        std::fprintf(stderr, "uv consumer: FAILED: uv_loop_init\n");
        return 1;
    }
    berth::core::options opts;
    opts.max_connections = 4;
    opts.on_handler_error = berth::core::error_policy::raise;  // raised out of uv::run
    berth::uv::server s = berth::uv::server::create(
        &loop, berth::posix::parse_listen_spec("127.0.0.1:0"), opts, consumer::echo);
    const std::uint16_t port = s.listening_on().port;

    // The client thread's "done": uv_async_send is the one libuv call safe from any
    // thread. The server closes itself and its handles; the async handle is ours.
    uv_async_t client_done{};
    client_done.data = &s;
    uv_async_init(&loop, &client_done, [](uv_async_t* h) {
        static_cast<berth::uv::server*>(h->data)->close(false);
        uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
    });

    std::string answer;
    std::thread client([&] {
        answer = consumer::ask_loopback(port, "hello from a uv consumer");
        uv_async_send(&client_done);
    });
    berth::uv::run(&loop);  // returns once every handle is closed
    client.join();

    if (uv_loop_close(&loop) != 0) {
        std::fprintf(stderr, "uv consumer: FAILED: the loop still has handles\n");
        return 1;
    }
    if (s.stats().accepted != 1) {
        std::fprintf(stderr, "uv consumer: FAILED: %llu accepted\n",
                     static_cast<unsigned long long>(s.stats().accepted));
        return 1;
    }
    return consumer::expect("uv consumer", answer, "hello from a uv consumer");
} catch (const std::exception& e) {
    std::fprintf(stderr, "uv consumer: FAILED: %s\n", e.what());
    return 1;
}
