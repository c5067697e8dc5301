// berth-uv-echo-bench: 64-byte echo round trips on loopback, N connections, a few
// seconds per run, alternating berth's libuv server and a plain hand-written libuv
// server in the same process; prints each run, the medians and their ratio.
//
// usage: berth-uv-echo-bench [CONNECTIONS [SECONDS [RUNS]]]   (default 50 2 3)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "../bench_arguments.hpp"
#include "echo_servers.hpp"
#include "load_client.hpp"

namespace {

using berth::bench::server_ready;

double measure(void (*serve)(server_ready&), int connections, double seconds) {
    server_ready ready;
    std::thread server([&] { serve(ready); });
    // Bounded: the server thread is listening within milliseconds.
    for (int i = 0; i < 10'000 && ready.port == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const double rate = berth::bench::run_load(ready.port, connections, seconds);
    uv_async_send(ready.stop.load());
    server.join();
    return rate;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    using berth::bench::positional_argument;
    const int connections = positional_argument(argc, argv, 1, "CONNECTIONS", 50, 1, 1000);
    const int seconds = positional_argument(argc, argv, 2, "SECONDS", 2, 1, 60);
    const int runs = positional_argument(argc, argv, 3, "RUNS", 3, 1, 20);
    std::vector<double> berth_rates;
    std::vector<double> plain_rates;
    for (int run = 0; run < runs; ++run) {
        plain_rates.push_back(measure(berth::bench::run_plain_uv_echo, connections, seconds));
        berth_rates.push_back(measure(berth::bench::run_berth_uv_echo, connections, seconds));
        std::printf("run %d: plain libuv %.0f round trips/s, berth uv %.0f round trips/s\n",
                    run + 1, plain_rates.back(), berth_rates.back());
    }
    const double b = median(berth_rates);
    const double p = median(plain_rates);
    std::printf(
        "median over %d runs, %d connections, %d s each: plain libuv %.0f/s, berth uv %.0f/s\n",
        runs, connections, seconds, p, b);
    std::printf("ratio berth uv / plain libuv: %.3f\n", b / p);
    return 0;
}
