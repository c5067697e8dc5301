#include "kv_harness.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include "berth/sim/kernel.hpp"
#include "berth/sim/prng.hpp"
#include "berth/sim/server.hpp"
#include "berth/sim/world.hpp"
#include "kv_store.hpp"

namespace berth::examples::kv {

namespace {

constexpr core::time_ns ms = core::ns_per_ms;
constexpr core::time_ns us = core::ns_per_ms / 1000;

struct operation {
    bool is_set = true;
    std::string key;
    std::string value;  // set
    [[nodiscard]] std::string line() const {
        return is_set ? "set " + key + " " + value : "get " + key;
    }
};

// One client's script, drawn from the seed.
struct client_plan {
    std::uint32_t number = 0;
    core::time_ns start_ns = 0;
    std::vector<operation> ops;
    std::size_t depth = 1;  // requests in flight before it reads a reply
    /// Resets (SO_LINGER 0) once it has read this many replies: the fault of a
    /// client vanishing mid-pipeline.
    std::optional<std::size_t> reset_after;
};

// What a client saw.
struct client_log {
    std::vector<std::string> replies;  // replies[i] answers ops[i]
    std::size_t sent = 0;
    bool connected = false;
    bool reset = false;
    bool clean_end = false;  // it saw the server's end after its own
    int end_error = 0;
    bool timed_out = false;
};

client_plan draw_client(sim::prng& rng, std::uint32_t number) {
    client_plan p;
    p.number = number;
    p.start_ns = rng.between(0, 5) * ms;
    const auto count = static_cast<std::size_t>(rng.between(1, 10));
    const auto keys = rng.between(1, 3);
    for (std::size_t i = 0; i < count; ++i) {
        operation op;
        op.is_set = rng.below(4) != 0;
        op.key = "c" + std::to_string(number) + "-k" +
                 std::to_string(rng.below(static_cast<std::uint64_t>(keys)));
        op.value = "v" + std::to_string(number) + "." + std::to_string(i);
        p.ops.push_back(std::move(op));
    }
    p.depth = static_cast<std::size_t>(rng.between(1, 6));
    if (rng.below(10) < 4) p.reset_after = static_cast<std::size_t>(rng.below(count + 1));
    return p;
}

sim::task<> run_client(sim::world& w, address server, const client_plan& plan, client_log& log) {
    co_await w.sleep_for(plan.start_ns);
    sim::connect_result c = co_await w.connect(server);
    if (!c.sock) {
        log.end_error = c.error;
        co_return;
    }
    log.connected = true;
    sim::socket& sock = *c.sock;
    while (log.replies.size() < plan.ops.size()) {
        while (log.sent < plan.ops.size() && log.sent - log.replies.size() < plan.depth) {
            sock.send(plan.ops[log.sent].line() + "\n");
            ++log.sent;
        }
        if (plan.reset_after && log.replies.size() == *plan.reset_after) {
            sock.reset();
            log.reset = true;
            co_return;
        }
        sim::line_result r = co_await sock.read_line_for(5 * core::ns_per_s);
        if (!r.line) {
            log.end_error = r.error;
            log.timed_out = r.timed_out;
            sock.close();
            co_return;
        }
        log.replies.push_back(std::move(*r.line));
    }
    if (plan.reset_after) {  // reset after its last reply
        sock.reset();
        log.reset = true;
        co_return;
    }
    sock.shutdown_write();
    const sim::line_result end = co_await sock.read_line_for(5 * core::ns_per_s);
    log.clean_end = !end.line && end.error == 0 && !end.timed_out;
    if (end.line) log.replies.push_back("(extra) " + *end.line);
    sock.close();
}

// The reader of the second phase: one get per key, each answer kept.
sim::task<> read_back(sim::world& w, address server, const std::vector<std::string>& keys,
                      std::map<std::string, std::string>& answers, std::string& failure) {
    sim::connect_result c = co_await w.connect(server);
    if (!c.sock) {
        failure = "the reading client could not connect: errno " + std::to_string(c.error);
        co_return;
    }
    for (const std::string& key : keys) {
        c.sock->send("get " + key + "\n");
        sim::line_result r = co_await c.sock->read_line_for(5 * core::ns_per_s);
        if (!r.line) {
            failure = "the reading client got no answer to 'get " + key + "'";
            break;
        }
        answers[key] = *r.line;
    }
    c.sock->close();
}

void check_client(const client_plan& p, const client_log& log, std::vector<std::string>& out) {
    const std::string who = "client " + std::to_string(p.number);
    // Its own keys, as its requests left them: what each get must answer.
    std::map<std::string, std::string> mine;
    for (std::size_t i = 0; i < log.replies.size(); ++i) {
        const std::string& reply = log.replies[i];
        if (i >= p.ops.size()) {
            out.push_back(who + ": a reply to no request: '" + reply + "'");
            break;
        }
        const operation& op = p.ops[i];
        if (op.is_set) {
            mine[op.key] = op.value;
            if (reply != "ok")
                out.push_back(who + ": '" + op.line() + "' answered '" + reply + "'");
            continue;
        }
        const auto it = mine.find(op.key);
        const std::string expected = it == mine.end() ? "missing" : "value " + it->second;
        if (reply != expected) {
            out.push_back(who + ": '" + op.line() + "' answered '" + reply +
                          "', its own set owes '" + expected + "'");
        }
    }
    if (!log.connected || log.reset) return;
    // An accept fault resets a client before its first reply; nothing else may cut
    // a connection short.
    const bool aborted = log.replies.empty() && log.end_error != 0;
    if (aborted) return;
    if (log.replies.size() < p.ops.size()) {
        out.push_back(who + ": " + std::to_string(log.replies.size()) + " replies to " +
                      std::to_string(p.ops.size()) + " requests (the connection ended with errno " +
                      std::to_string(log.end_error) + (log.timed_out ? ", timed out" : "") + ")");
    } else if (!log.clean_end) {
        out.push_back(who + ": no clean end of stream after its last reply");
    }
}

// Every acknowledged set must be visible to the reading client: the last value the
// client saw acknowledged for the key, or one it sent after that (maybe applied,
// its answer lost with the connection).
void check_durability(const std::vector<client_plan>& plans, const std::vector<client_log>& logs,
                      const std::map<std::string, std::string>& answers,
                      std::vector<std::string>& out) {
    for (std::size_t c = 0; c < plans.size(); ++c) {
        const client_plan& p = plans[c];
        const client_log& log = logs[c];
        std::map<std::string, std::size_t> last_acked;  // key -> op index
        for (std::size_t i = 0; i < log.replies.size() && i < p.ops.size(); ++i)
            if (p.ops[i].is_set && log.replies[i] == "ok") last_acked[p.ops[i].key] = i;
        std::map<std::string, bool> seen;
        for (const operation& op : p.ops) {
            if (seen[op.key]) continue;
            seen[op.key] = true;
            const auto answer = answers.find(op.key);
            if (answer == answers.end()) continue;  // the reader failed: reported already
            const auto acked = last_acked.find(op.key);
            std::vector<std::string> allowed;
            const std::size_t from = acked == last_acked.end() ? 0 : acked->second;
            if (acked == last_acked.end()) allowed.emplace_back("missing");
            for (std::size_t i = from; i < log.sent; ++i)
                if (p.ops[i].is_set && p.ops[i].key == op.key)
                    allowed.push_back("value " + p.ops[i].value);
            bool fine = false;
            for (const std::string& a : allowed)
                fine = fine || a == answer->second;
            if (fine) continue;
            if (acked != last_acked.end()) {
                out.push_back("key " + op.key + ": client " + std::to_string(p.number) + "'s '" +
                              p.ops[from].line() +
                              "' was answered 'ok', but a later get from another client "
                              "answered '" +
                              answer->second + "'");
            } else {
                out.push_back("key " + op.key + ": a later get answered '" + answer->second +
                              "', a value client " + std::to_string(p.number) + " never sent");
            }
        }
    }
}

std::string transcript(const std::vector<client_plan>& plans, const std::vector<client_log>& logs) {
    std::ostringstream out;
    for (std::size_t c = 0; c < plans.size(); ++c) {
        const client_plan& p = plans[c];
        const client_log& log = logs[c];
        out << "client " << p.number << " (start " << p.start_ns / ms << " ms, depth " << p.depth;
        if (p.reset_after) out << ", resets after " << *p.reset_after << " replies";
        out << "):";
        if (!log.connected) out << " connect failed, errno " << log.end_error;
        out << '\n';
        for (std::size_t i = 0; i < log.sent; ++i) {
            out << "  > " << p.ops[i].line() << '\n';
            if (i < log.replies.size()) out << "  < " << log.replies[i] << '\n';
        }
        out << "  " << (log.reset ? "reset" : log.clean_end ? "clean end" : "ended");
        if (log.end_error != 0) out << ", errno " << log.end_error;
        if (log.timed_out) out << ", timed out";
        out << '\n';
    }
    return out.str();
}

}  // namespace

seed_result run_seed(std::uint64_t seed, handler_kind kind) {
    seed_result result;
    result.seed = seed;
    // The harness's own stream, apart from the world's (seeded with the same number).
    sim::prng rng(sim::mix64(seed ^ 0x6b762d73746f7265ULL));
    sim::world_config config;
    constexpr std::uint32_t buffers[] = {16, 64, 512, 64 * 1024};
    config.kernel.socket_buffer_bytes = buffers[rng.below(4)];
    constexpr core::time_ns latencies[] = {0, 20 * us, 1 * ms};
    config.kernel.latency_max_ns = latencies[rng.below(3)];
    config.faults.enabled = true;
    config.faults.accept_per_connection_per_million =
        static_cast<std::uint32_t>(rng.below(200'000));
    config.faults.accept_nothing_there_per_million = static_cast<std::uint32_t>(rng.below(200'000));
    config.faults.spurious_wakeup_per_million = static_cast<std::uint32_t>(rng.below(100'000));
    config.faults.partial_write_per_million = static_cast<std::uint32_t>(rng.below(600'000));
    sim::world w(seed, config);

    store values;
    core::options opts;
    opts.max_connections = static_cast<std::uint32_t>(rng.between(1, 4));
    opts.on_handler_error = core::error_policy::raise;  // the handler must never fail
    sim::server s = sim::server::create(
        w, "127.0.0.1:0", opts,
        kind == handler_kind::correct ? handler(values) : buggy_handler(values));
    const auto clients = static_cast<std::uint32_t>(rng.between(2, 6));
    std::vector<client_plan> plans;
    for (std::uint32_t i = 0; i < clients; ++i)
        plans.push_back(draw_client(rng, i));
    std::vector<client_log> logs(plans.size());
    std::map<std::string, std::string> answers;
    std::string read_failure;
    try {
        for (std::size_t i = 0; i < plans.size(); ++i)
            w.spawn(run_client(w, s.listening_on_address(), plans[i], logs[i]));
        if (!w.run_until([&w] { return w.tasks_running() == 0; }, 120 * core::ns_per_s)) {
            result.violations.push_back("the clients did not finish within 120 s of virtual time");
        }
        // The second phase: faults off, so the reader's own connection is not cut.
        w.net().faults().enabled = false;
        std::vector<std::string> keys;
        for (const client_plan& p : plans)
            for (const operation& op : p.ops)
                if (std::find(keys.begin(), keys.end(), op.key) == keys.end())
                    keys.push_back(op.key);
        w.spawn(read_back(w, s.listening_on_address(), keys, answers, read_failure));
        if (!w.run_until([&w] { return w.tasks_running() == 0; }, 60 * core::ns_per_s)) {
            result.violations.push_back("the reading client did not finish within 60 s");
        }
        s.close();
        w.run();
        if (!s.all_handlers_finished()) result.violations.push_back("a handler never ended");
        if (w.net().fds_in_use() != 0) {
            result.violations.push_back(std::to_string(w.net().fds_in_use()) +
                                        " descriptors still open at the end");
        }
    } catch (const std::exception& e) {
        result.violations.push_back(std::string("the world failed: ") + e.what());
    }
    if (!read_failure.empty()) result.violations.push_back(read_failure);
    for (std::size_t i = 0; i < plans.size(); ++i) {
        check_client(plans[i], logs[i], result.violations);
        if (logs[i].reset) ++result.client_resets;
        if (logs[i].connected && !logs[i].reset && logs[i].replies.empty() &&
            logs[i].end_error != 0)
            ++result.aborted_connections;
        for (std::size_t r = 0; r < logs[i].replies.size() && r < plans[i].ops.size(); ++r)
            if (plans[i].ops[r].is_set && logs[i].replies[r] == "ok") ++result.acknowledged_sets;
    }
    check_durability(plans, logs, answers, result.violations);
    result.clients = clients;
    result.transcript = transcript(plans, logs);
    return result;
}

}  // namespace berth::examples::kv
