// berth-load: the benchmarks' epoll load client (README.md in bench/). Runs one
// workload against one server on this machine and prints one JSON object.
#include <algorithm>
#include <atomic>
#include <barrier>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <thread>
#include <vector>

#include "load_options.hpp"
#include "worker.hpp"

namespace {

using namespace berth::load;

std::atomic<std::int64_t> start_ns{0};

void set_start() noexcept {
    start_ns.store(monotonic_ns());
}

void append(std::string& out, const char* format, auto... values) {
    char text[256];
    const int n = std::snprintf(text, sizeof(text), format, values...);
    if (n > 0) out.append(text, std::min(static_cast<std::size_t>(n), sizeof(text) - 1));
}

void append_latency(std::string& out, const char* name, const histogram& h) {
    const auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
    append(out,
           ",\"%s\":{\"samples\":%llu,\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,"
           "\"mean\":%.1f,\"min\":%.1f,\"max\":%.1f}",
           name, static_cast<unsigned long long>(h.count()), us(h.quantile(0.5)),
           us(h.quantile(0.9)), us(h.quantile(0.99)), us(h.quantile(0.999)), h.mean() / 1000.0,
           us(h.min()), us(h.max()));
}

// Enough descriptors for every connection, or a refusal that names the flag.
bool enough_descriptors(int connections) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return true;
    const auto wanted = static_cast<rlim_t>(connections) + 64;
    if (limit.rlim_cur < wanted) {
        limit.rlim_cur = std::min(limit.rlim_max, std::max(wanted, limit.rlim_cur));
        static_cast<void>(::setrlimit(RLIMIT_NOFILE, &limit));
    }
    return limit.rlim_cur >= wanted;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    load_options opts;
    try {
        opts = parse_load_options(args);
    } catch (const usage_error& e) {
        std::cerr << "berth-load: " << e.what() << '\n' << usage_text;
        return 2;
    }
    if (opts.help) {
        std::cout << usage_text;
        return 0;
    }
    if (!enough_descriptors(opts.connections)) {
        std::cerr << "berth-load: --connections " << opts.connections
                  << " needs more open files than RLIMIT_NOFILE allows (ulimit -n)\n";
        return 2;
    }
    static_cast<void>(std::signal(SIGPIPE, SIG_IGN));
    // Wake-ups on time: the rate workload's schedule is in microseconds.
    static_cast<void>(::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL));

    const int threads = opts.threads;
    std::vector<worker_result> results(static_cast<std::size_t>(threads));
    std::barrier<void (*)() noexcept> ready(threads, set_start);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        const int first = static_cast<int>(static_cast<long long>(opts.connections) * t / threads);
        const int last =
            static_cast<int>(static_cast<long long>(opts.connections) * (t + 1) / threads);
        const double share = opts.rate * (last - first) / opts.connections;
        auto body = [&opts, &ready, &results, first, last, share, t] {
            run_worker(opts, first, last - first, share, ready, start_ns,
                       results[static_cast<std::size_t>(t)]);
        };
        if (t + 1 == threads) {
            body();
        } else {
            pool.emplace_back(body);
        }
    }
    for (std::thread& th : pool)
        th.join();

    worker_result all;
    for (const worker_result& r : results) {
        all.latency.merge(r.latency);
        all.echo_latency.merge(r.echo_latency);
        all.operations += r.operations;
        all.lines_sent += r.lines_sent;
        all.bytes_sent += r.bytes_sent;
        all.bytes_received += r.bytes_received;
        all.connects += r.connects;
        all.failures.merge(r.failures);
        all.setup_complete = all.setup_complete && r.setup_complete;
    }
    const double seconds = opts.duration;
    const auto ull = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };

    std::string json;
    append(json, "{\"tool\":\"berth-load\",\"workload\":\"%s\",\"target\":\"%s\"",
           workload_name(opts.kind), opts.target_text.c_str());
    append(json,
           ",\"parameters\":{\"connections\":%d,\"size\":%d,\"pipeline\":%d,\"rate\":%.3f,"
           "\"echo\":%s,\"duration_s\":%.3f,\"warmup_s\":%.3f,\"timeout_s\":%.3f,"
           "\"sources\":%d,\"threads\":%d}",
           opts.connections, opts.size, opts.pipeline, opts.rate, opts.echo ? "true" : "false",
           opts.duration, opts.warmup, opts.timeout, opts.sources, opts.threads);
    append(json, ",\"duration_s\":%.3f,\"unit\":\"%s\"", seconds,
           opts.kind == workload::churn ? "connections" : "round_trips");
    append(json,
           ",\"counts\":{\"operations\":%llu,\"lines_sent\":%llu,\"connects\":%llu,"
           "\"bytes_sent\":%llu,\"bytes_received\":%llu,\"failures\":%llu}",
           ull(all.operations), ull(all.lines_sent), ull(all.connects), ull(all.bytes_sent),
           ull(all.bytes_received), ull(all.failures.total()));
    append(json, ",\"rate_per_s\":%.1f", static_cast<double>(all.operations) / seconds);
    if (opts.kind == workload::rate) append(json, ",\"target_rate_per_s\":%.1f", opts.rate);
    append(json, ",\"setup_complete\":%s", all.setup_complete ? "true" : "false");
    append_latency(json, "latency_us", all.latency);
    if (opts.kind == workload::churn && opts.echo) {
        append_latency(json, "echo_latency_us", all.echo_latency);
    }
    json += ",\"failures\":{";
    bool first = true;
    const auto entry = [&](const char* name, std::uint64_t n) {
        if (n == 0) return;
        append(json, "%s\"%s\":%llu", first ? "" : ",", name, ull(n));
        first = false;
    };
    for (std::size_t e = 0; e < all.failures.by_errno.size(); ++e) {
        const std::uint64_t n = all.failures.by_errno[e];
        if (n == 0) continue;
        const char* name = ::strerrorname_np(static_cast<int>(e));
        std::string fallback = "errno " + std::to_string(e);
        entry(name != nullptr ? name : fallback.c_str(), n);
    }
    entry("mismatch", all.failures.mismatch);
    entry("EOF", all.failures.eof);
    json += "}}\n";
    std::fwrite(json.data(), 1, json.size(), stdout);
    std::fflush(stdout);
    return all.failures.total() == 0 && all.setup_complete ? 0 : 1;
}
