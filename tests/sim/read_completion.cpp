// A read's completion never runs inside the call that started the read (the
// contract of engine/io.hpp) on the simulator: the handler starts a read once
// the simulated kernel holds the bytes (then the end of the stream), the case
// where a backend could complete at once (read_completion_watch.hpp).
#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <doctest/doctest.h>

#include "berth/sim/kernel.hpp"
#include "berth/sim/server.hpp"
#include "berth/sim/world.hpp"
#include "berth/stream.hpp"
#include "berth/task.hpp"
#include "read_completion_watch.hpp"

namespace berth::sim {

namespace {

// Sends "hello", reads the answer, closes.
task<> client(world& w, address to, std::string& answer) {
    connect_result r = co_await w.connect(to);
    if (!r.sock) co_return;
    r.sock->send("hello");
    const line_result got = co_await r.sock->read_line();
    if (got.line) answer = *got.line;
    r.sock->close();
}

}  // namespace

TEST_CASE(
    "a read completion never runs inside the read call, with bytes or the end already there") {
    world w(5);
    core::options opts;
    opts.max_connections = 1;
    opts.on_handler_error = core::error_policy::ignore;
    const auto with_data = std::make_shared<test::read_completion::record>();
    const auto with_end = std::make_shared<test::read_completion::record>();
    std::string first;
    std::size_t at_end = 1;
    bool done = false;
    server s =
        server::create_sock(w, "127.0.0.1:0", opts, [&](address, berth::stream& st) -> task<> {
            std::array<char, 16> buffer{};
            // Long enough in virtual time for the client's bytes to be in the kernel;
            // nothing has asked the connection to read them yet.
            co_await sleep_for(std::chrono::milliseconds(50));
            auto read_data = st.read_some(buffer);
            const std::size_t n = co_await test::read_completion::watched(read_data, with_data);
            first.assign(buffer.data(), n);
            co_await st.write("ok\n");
            co_await sleep_for(std::chrono::milliseconds(50));  // the client has closed
            auto read_end = st.read_some(buffer);
            at_end = co_await test::read_completion::watched(read_end, with_end);
            done = true;
        });
    std::string answer;
    w.spawn(client(w, s.listening_on_address(), answer));
    REQUIRE(w.run_until([&] { return done; }, core::ns_per_s));
    CHECK(answer == "ok");
    CHECK(first == "hello");
    test::read_completion::check_completed_later(*with_data);
    CHECK(at_end == 0);
    test::read_completion::check_completed_later(*with_end);
    s.close();
    w.run();
    CHECK(w.net().fds_in_use() == 0);
}

}  // namespace berth::sim
