#include "load_options.hpp"

#include <arpa/inet.h>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>

namespace berth::load {

const char* workload_name(workload w) {
    switch (w) {
        case workload::churn: return "churn";
        case workload::echo: return "echo";
        case workload::pipelined: return "pipelined";
        case workload::rate: return "rate";
    }
    return "?";
}

namespace {

// Bounds on what one process may be asked for.
constexpr int max_connections = 20000;
constexpr int max_size = 1 << 20;
constexpr int max_pipeline = 1024;
constexpr long long max_lines_in_flight = 1LL << 22;  // connections x pipeline

long long whole_number(const std::string& flag, const std::string& text, long long min,
                       long long max) {
    long long value = 0;
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || stop != end || value < min || value > max) {
        throw usage_error(flag + " must be a whole number from " + std::to_string(min) + " to " +
                          std::to_string(max) + " (got '" + text + "')");
    }
    return value;
}

std::string shortest(double v) {
    char text[32];
    std::snprintf(text, sizeof(text), "%g", v);
    return text;
}

double real_number(const std::string& flag, const std::string& text, double min, double max) {
    double value = 0;
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || stop != end || !std::isfinite(value) ||
        value < min || value > max) {
        throw usage_error(flag + " must be a number from " + shortest(min) + " to " +
                          shortest(max) + " (got '" + text + "')");
    }
    return value;
}

sockaddr_in loopback_target(const std::string& text) {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string::npos) {
        throw usage_error("--target must be 127.x.y.z:PORT (got '" + text + "')");
    }
    const std::string host = text.substr(0, colon);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
        throw usage_error("--target must be 127.x.y.z:PORT, an IPv4 address (got '" + text + "')");
    }
    // Load goes to this machine only: the sources 127.0.0.X reach nothing else anyway.
    if ((ntohl(address.sin_addr.s_addr) >> 24) != 127) {
        throw usage_error("--target must be a loopback address 127.x.y.z (got '" + text + "')");
    }
    address.sin_port = htons(static_cast<std::uint16_t>(
        whole_number("--target port", text.substr(colon + 1), 1, 65535)));
    return address;
}

}  // namespace

load_options parse_load_options(const std::vector<std::string>& args) {
    load_options o;
    std::optional<std::string> kind;
    bool have_connections = false;
    bool have_pipeline = false;
    bool have_rate = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string flag = args[i];
        if (flag == "--help" || flag == "-h") {
            o.help = true;
            return o;
        }
        if (flag.rfind("--", 0) != 0) {
            if (kind)
                throw usage_error("one WORKLOAD only (got '" + *kind + "' and '" + flag + "')");
            kind = flag;
            continue;
        }
        if (flag == "--echo") {
            o.echo = true;
            continue;
        }
        std::optional<std::string> inline_value;
        if (const std::size_t eq = flag.find('='); eq != std::string::npos) {
            inline_value = flag.substr(eq + 1);
            flag.resize(eq);
        }
        const auto value = [&]() -> std::string {
            if (inline_value) return *inline_value;
            if (i + 1 >= args.size()) throw usage_error(flag + " needs a value");
            return args[++i];
        };
        if (flag == "--target") {
            o.target_text = value();
            o.target = loopback_target(o.target_text);
        } else if (flag == "--connections") {
            o.connections = static_cast<int>(whole_number(flag, value(), 1, max_connections));
            have_connections = true;
        } else if (flag == "--size") {
            o.size = static_cast<int>(whole_number(flag, value(), 2, max_size));
        } else if (flag == "--pipeline") {
            o.pipeline = static_cast<int>(whole_number(flag, value(), 1, max_pipeline));
            have_pipeline = true;
        } else if (flag == "--rate") {
            o.rate = real_number(flag, value(), 1, 1e8);
            have_rate = true;
        } else if (flag == "--duration") {
            o.duration = real_number(flag, value(), 0.01, 86400);
        } else if (flag == "--warmup") {
            o.warmup = real_number(flag, value(), 0, 3600);
        } else if (flag == "--timeout") {
            o.timeout = real_number(flag, value(), 0.01, 3600);
        } else if (flag == "--sources") {
            o.sources = static_cast<int>(whole_number(flag, value(), 1, 254));
        } else if (flag == "--threads") {
            o.threads = static_cast<int>(whole_number(flag, value(), 1, 64));
        } else {
            throw usage_error("unknown flag '" + flag + "'");
        }
    }
    if (!kind) throw usage_error("a WORKLOAD is required: churn, echo, pipelined or rate");
    if (*kind == "churn") {
        o.kind = workload::churn;
    } else if (*kind == "echo") {
        o.kind = workload::echo;
    } else if (*kind == "pipelined") {
        o.kind = workload::pipelined;
    } else if (*kind == "rate") {
        o.kind = workload::rate;
    } else {
        throw usage_error("unknown WORKLOAD '" + *kind +
                          "' (expected churn, echo, pipelined or rate)");
    }
    if (o.target_text.empty()) throw usage_error("--target 127.0.0.1:PORT is required");
    if (o.kind == workload::churn && !have_connections) o.connections = 64;
    if (have_pipeline && o.kind != workload::pipelined) {
        throw usage_error("--pipeline applies to the pipelined workload only");
    }
    if (o.kind == workload::pipelined && !have_pipeline) o.pipeline = 16;
    if (have_rate && o.kind != workload::rate) {
        throw usage_error("--rate applies to the rate workload only");
    }
    if (o.kind == workload::rate && !have_rate) throw usage_error("rate needs --rate R");
    if (o.echo && o.kind != workload::churn) {
        throw usage_error("--echo applies to the churn workload only");
    }
    if (o.threads > o.connections) {
        throw usage_error("--threads must not exceed --connections (" +
                          std::to_string(o.connections) + ")");
    }
    if (static_cast<long long>(o.connections) * o.pipeline > max_lines_in_flight) {
        throw usage_error("--connections x --pipeline must be at most " +
                          std::to_string(max_lines_in_flight));
    }
    return o;
}

}  // namespace berth::load
