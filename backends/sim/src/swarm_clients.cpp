// The clients of swarm runs. Each is a finite script, so every run can end: each
// wait is bounded by a timeout or by the script's own numbers.
#include <string>

#include "berth/sim/swarm.hpp"

namespace berth::sim {

const char* to_string(client_action a) {
    switch (a) {
        case client_action::echo: return "echo";
        case client_action::sleep: return "sleep";
        case client_action::pause: return "pause";
        case client_action::quit: return "quit";
        case client_action::fail: return "fail";
        case client_action::flood: return "flood";
        case client_action::close: return "close";
        case client_action::reset: return "reset";
    }
    return "unknown";
}

namespace {

enum class client_end : std::uint8_t { script_done, server_ended, closed, reset, refused };

void finish(world& w, std::uint32_t number, client_end end, client_tally& tally) {
    ++tally.finished;
    w.tracer().record(w.now_ns(), trace_kind::client_done, number, static_cast<std::uint64_t>(end));
}

}  // namespace

task<> run_client(world& w, std::string address, client_plan plan, std::uint32_t number,
                  client_tally& tally) {
    co_await w.sleep_for(plan.start_ns);
    connect_result c = co_await w.connect(address);
    if (!c.sock) {
        ++tally.connects_failed;
        finish(w, number, client_end::refused, tally);
        co_return;
    }
    socket s = *c.sock;
    for (const client_step& step : plan.steps) {
        switch (step.action) {
            case client_action::echo:
            case client_action::sleep: {
                s.send(step.action == client_action::echo
                           ? "echo " + std::to_string(number) + "\n"
                           : "sleep " + std::to_string(step.amount) + "\n");
                if (!plan.read_replies) break;
                const line_result r = co_await s.read_line_for(plan.read_timeout_ns);
                if (!r.line && !r.timed_out) {
                    s.close();
                    finish(w, number, client_end::server_ended, tally);
                    co_return;
                }
                break;
            }
            case client_action::pause: co_await w.sleep_for(step.amount * core::ns_per_ms); break;
            case client_action::quit:
            case client_action::fail: {
                s.send(step.action == client_action::quit ? "quit\n" : "fail\n");
                // Reads until the server's end (or a bounded wait), then leaves.
                for (int i = 0; i < 64; ++i) {
                    const line_result r = co_await s.read_line_for(plan.read_timeout_ns);
                    if (!r.line) break;
                }
                s.close();
                finish(w, number, client_end::server_ended, tally);
                co_return;
            }
            case client_action::flood: {
                std::string lines;
                lines.reserve(step.amount * 201U);
                for (std::uint32_t i = 0; i < step.amount; ++i)
                    lines.append(200, 'x').push_back('\n');
                s.send(lines);
                co_await w.sleep_for(step.amount * core::ns_per_ms);
                break;
            }
            case client_action::close:
                s.close();
                finish(w, number, client_end::closed, tally);
                co_return;
            case client_action::reset:
                s.reset();
                finish(w, number, client_end::reset, tally);
                co_return;
        }
    }
    s.close();
    finish(w, number, client_end::script_done, tally);
}

}  // namespace berth::sim
