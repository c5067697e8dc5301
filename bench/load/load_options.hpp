// The command line of berth-load: parsed into options, or refused with a message
// that names the flag (the caller prints it and exits with status 2).
#pragma once

#include <cstdint>
#include <netinet/in.h>
#include <stdexcept>
#include <string>
#include <vector>

namespace berth::load {

inline constexpr const char* usage_text =
    "usage: berth-load WORKLOAD --target 127.0.0.1:PORT [options]\n"
    "WORKLOAD:\n"
    "  churn      K connections in flight: connect, [--echo: one round trip], close, repeat\n"
    "  echo       N connections, one line of S bytes in flight on each (closed loop)\n"
    "  pipelined  N connections, P lines in flight on each (closed loop)\n"
    "  rate       N connections, open loop at R lines per second in total; latency from\n"
    "             each line's scheduled send time\n"
    "options:\n"
    "  --connections N   connections (churn: in flight) (1-20000; churn 64, else 100)\n"
    "  --size S          bytes per line, the '\\n' included (2-1048576; 64)\n"
    "  --pipeline P      lines in flight per connection, pipelined only (1-1024; 16)\n"
    "  --rate R          lines per second in total, rate only (required)\n"
    "  --echo            churn: one round trip on each connection before closing it\n"
    "  --duration SEC    measured time (0.01-86400; 3)\n"
    "  --warmup SEC      load before measuring, not counted (0-3600; 0)\n"
    "  --timeout SEC     a connect or a reply slower than this fails as ETIMEDOUT (5)\n"
    "  --sources X       source addresses 127.0.0.1..127.0.0.X (1-254; 8)\n"
    "  --threads T       event loops, connections split between them (1-64; 1)\n"
    "Prints one JSON object on stdout. Exit status 0, 1 when anything failed, 2 for bad\n"
    "arguments.\n";

enum class workload : std::uint8_t { churn, echo, pipelined, rate };

[[nodiscard]] const char* workload_name(workload w);

struct load_options {
    workload kind = workload::echo;
    std::string target_text;
    sockaddr_in target{};
    int connections = 100;
    int size = 64;
    int pipeline = 1;
    double rate = 0;  // lines per second in total (rate only)
    bool echo = false;
    double duration = 3;
    double warmup = 0;
    double timeout = 5;
    int sources = 8;
    int threads = 1;
    bool help = false;
};

/// Thrown for arguments that are refused; what() names the flag.
struct usage_error : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

/// The options, or throws usage_error. `args` excludes the program name.
[[nodiscard]] load_options parse_load_options(const std::vector<std::string>& args);

}  // namespace berth::load
