#include "tls_echo_options.hpp"

#include <cmath>
#include <stdexcept>

#include "berth/posix/parse_listen_spec.hpp"

namespace berth::tls_echo {

namespace {

std::chrono::milliseconds parse_seconds(const std::string& flag, const std::string& value) {
    std::size_t used = 0;
    double seconds = 0;
    try {
        seconds = std::stod(value, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != value.size() || !std::isfinite(seconds) || seconds < 0.001 ||
        seconds > 3600) {
        throw std::invalid_argument(flag + ": invalid value '" + value +
                                    "': expected a number of seconds from 0.001 to 3600");
    }
    return std::chrono::milliseconds(std::llround(seconds * 1000));
}

}  // namespace

tls_echo_options parse_tls_echo_options(const std::vector<std::string>& args) {
    tls_echo_options opts;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& flag = args[i];
        if (flag == "--help" || flag == "-h") {
            opts.help = true;
            continue;
        }
        if (flag != "--listen" && flag != "--cert" && flag != "--key" &&
            flag != "--handshake-timeout" && flag != "--backend") {
            throw std::invalid_argument("unknown flag '" + flag + "'");
        }
        if (i + 1 == args.size()) throw std::invalid_argument(flag + ": missing value");
        const std::string& value = args[++i];
        if (flag == "--listen") {
            opts.listen = posix::parse_listen_spec(value);
        } else if (flag == "--cert") {
            opts.cert_file = value;
        } else if (flag == "--key") {
            opts.key_file = value;
        } else if (flag == "--handshake-timeout") {
            opts.handshake_timeout = parse_seconds(flag, value);
        } else if (value != "asio") {
            throw std::invalid_argument("--backend: invalid value '" + value +
                                        "': berth-tls-echo runs on asio only");
        }
    }
    if (opts.help) return opts;
    if (opts.cert_file.empty()) throw std::invalid_argument("--cert FILE is required");
    if (opts.key_file.empty()) throw std::invalid_argument("--key FILE is required");
    return opts;
}

}  // namespace berth::tls_echo
