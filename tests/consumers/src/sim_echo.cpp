// A consumer of berth::sim: the same portable echo handler, served in a simulated
// world (virtual time, one seed) to a simulated client; exits 0 if the client got
// its line back and the world's server ends with every invariant holding and every
// simulated descriptor closed.
#include <cstdio>
#include <exception>
#include <optional>
#include <string>

#include "berth/sim/kernel.hpp"
#include "berth/sim/server.hpp"
#include "berth/sim/world.hpp"
#include "consumer.hpp"

namespace {

berth::sim::task<> ask(berth::sim::world& w, berth::address server, std::string& answer) {
    berth::sim::connect_result c = co_await w.connect(server);
    if (!c.sock) {
        answer = "error: the simulated connect failed";
        co_return;
    }
    c.sock->send("hello from a sim consumer\n");
    berth::sim::line_result r = co_await c.sock->read_line_for(10 * berth::core::ns_per_s);
    answer = r.line.value_or("error: no answer in 10 simulated seconds");
    c.sock->close();
}

}  // namespace

int main() try {
    berth::sim::world w(42);
    berth::core::options opts;
    opts.max_connections = 4;
    opts.on_handler_error = berth::core::error_policy::raise;  // a handler error leaves run()
    berth::sim::server s = berth::sim::server::create(w, "127.0.0.1:0", opts, consumer::echo);

    std::string answer;
    w.spawn(ask(w, s.listening_on_address(), answer));
    w.run_until([&] { return w.tasks_running() == 0; }, 60 * berth::core::ns_per_s);
    s.close();
    w.run();

    if (!s.all_handlers_finished() || !s.invariant() || w.net().fds_in_use() != 0) {
        std::fprintf(stderr, "sim consumer: FAILED: handlers finished %d, invariant %s, %llu fds\n",
                     s.all_handlers_finished() ? 1 : 0,
                     s.check_invariant() ? s.check_invariant() : "holds",
                     static_cast<unsigned long long>(w.net().fds_in_use()));
        return 1;
    }
    return consumer::expect("sim consumer", answer, "hello from a sim consumer");
} catch (const std::exception& e) {
    std::fprintf(stderr, "sim consumer: FAILED: %s\n", e.what());
    return 1;
}
