// A handler may write into another connection's writer (a chat's broadcast): what it
// writes goes out although that connection's own handler is suspended in a read and
// never runs again until its client speaks. SEMANTICS.md section 7: the writer
// flushes in the background.
#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "berth/handler.hpp"
#include "berth/sim/kernel.hpp"
#include "berth/sim/server.hpp"
#include "berth/sim/world.hpp"

namespace {

using namespace berth;

// The first connection listens only; each line from a later one is written into
// the first one's writer, from the later one's handler.
struct relay {
    writer* listener = nullptr;

    task<> serve(address /*peer*/, reader& r, writer& w) {
        if (listener == nullptr) {
            listener = &w;
            while (co_await r.read_line()) {
            }
            listener = nullptr;
            co_return;
        }
        while (std::optional<std::string> line = co_await r.read_line()) {
            if (listener != nullptr) listener->write(*line + "\n");
        }
    }
};

sim::task<> listen_for(sim::world& w, address server, bool& joined, std::string& heard) {
    sim::connect_result c = co_await w.connect(server);
    if (!c.sock) co_return;
    joined = true;
    // It never sends a byte: its handler stays suspended in read_line.
    sim::line_result r = co_await c.sock->read_line_for(1 * core::ns_per_s);
    if (r.line) heard = *r.line;
    c.sock->close();
}

sim::task<> speak(sim::world& w, address server, const bool& joined, std::string line) {
    while (!joined)
        co_await w.sleep_for(core::ns_per_ms);
    sim::connect_result c = co_await w.connect(server);
    if (!c.sock) co_return;
    c.sock->send(line + "\n");
    co_await w.sleep_for(10 * core::ns_per_ms);
    c.sock->close();
}

}  // namespace

TEST_CASE(
    "a write into another connection's writer goes out while that connection's handler "
    "waits in a read") {
    sim::world w(/*seed=*/3);
    core::options opts;
    opts.max_connections = 4;
    opts.on_handler_error = core::error_policy::raise;
    relay room;
    sim::server s = sim::server::create(
        w, "127.0.0.1:0", opts,
        [&room](address peer, reader& r, writer& out) { return room.serve(peer, r, out); });

    bool joined = false;
    std::string heard;
    w.spawn(listen_for(w, s.listening_on_address(), joined, heard));
    w.spawn(speak(w, s.listening_on_address(), joined, "hello from another connection"));
    w.run_until([&] { return w.tasks_running() == 0; }, 5 * core::ns_per_s);
    CHECK(heard == "hello from another connection");

    s.close();
    w.run();
    CHECK(s.all_handlers_finished());
    CHECK(w.net().fds_in_use() == 0);
}
