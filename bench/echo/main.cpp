// berth-echo-bench [CONNECTIONS] [MILLISECONDS] [RUNS]: round trips per second of
// berth's Asio echo server (the line protocol of berth-echo, the create form) and
// of a plain Asio echo server, each on its own io_context thread, alternating,
// with the median of RUNS and the ratio berth / plain. Figures vary +-30% between
// runs on a shared machine: only the ratio within one run means something.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "../bench_arguments.hpp"
#include "berth/asio/line_protocol.hpp"
#include "berth/asio/server.hpp"
#include "load_client.hpp"
#include "plain_echo.hpp"

namespace {

namespace net = boost::asio;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    using berth::bench::positional_argument;
    const int connections = positional_argument(argc, argv, 1, "CONNECTIONS", 100, 1, 10000);
    const auto duration = std::chrono::milliseconds(
        positional_argument(argc, argv, 2, "MILLISECONDS", 2000, 100, 60000));
    const int runs = positional_argument(argc, argv, 3, "RUNS", 3, 1, 21);

    net::io_context berth_ctx(1);
    berth::core::options opts;
    opts.max_connections = 20000;
    opts.max_accepts_per_batch = 64;
    opts.on_handler_error = berth::core::error_policy::ignore;
    berth::asio::server server = berth::asio::server::create(
        berth_ctx,
        berth::posix::listen_spec::bind_to(berth::posix::bind_address::localhost(),
                                           berth::posix::bind_port::chosen_by_os()),
        opts, berth::asio::line_protocol_handler());
    const std::uint16_t berth_port = server.listening_on_address().port();

    net::io_context plain_ctx(1);
    const std::uint16_t plain_port = berth::bench::start_plain_echo(plain_ctx);
    auto plain_work = net::make_work_guard(plain_ctx);

    std::thread berth_thread([&] { berth_ctx.run(); });
    std::thread plain_thread([&] { plain_ctx.run(); });

    std::vector<double> berth_rates;
    std::vector<double> plain_rates;
    const double seconds = static_cast<double>(duration.count()) / 1000.0;
    for (int i = 0; i < runs; ++i) {
        const auto b = berth::bench::run_load(berth_port, connections, duration);
        const auto p = berth::bench::run_load(plain_port, connections, duration);
        berth_rates.push_back(static_cast<double>(b) / seconds);
        plain_rates.push_back(static_cast<double>(p) / seconds);
        std::printf("run %d: berth %.0f rt/s, plain asio %.0f rt/s\n", i + 1, berth_rates.back(),
                    plain_rates.back());
    }
    const double b = median(berth_rates);
    const double p = median(plain_rates);
    std::printf(
        "connections %d, %lld ms x %d runs (median): berth %.0f rt/s, plain asio %.0f "
        "rt/s, ratio berth/plain %.2f\n",
        connections, static_cast<long long>(duration.count()), runs, b, p, b / p);

    net::post(berth_ctx, [&] { server.close(true, [] {}); });
    plain_work.reset();
    plain_ctx.stop();
    berth_thread.join();
    plain_thread.join();
    return 0;
}
