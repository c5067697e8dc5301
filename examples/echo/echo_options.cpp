#include "echo_options.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace berth::echo {

namespace {

core::time_ns parse_age_limit(const std::string& flag, const std::string& value) {
    if (value == "unlimited") return core::unlimited_age_ns;
    std::size_t used = 0;
    double seconds = 0;
    try {
        seconds = std::stod(value, &used);
    } catch (const std::exception&) {
        refuse_value(flag, value, "expected a number of seconds or 'unlimited'");
    }
    const double max_s = static_cast<double>(core::buffer_age_limit_max_ns / core::ns_per_s);
    if (used != value.size() || !std::isfinite(seconds) || seconds <= 0 || seconds > max_s) {
        refuse_value(flag, value,
                     "expected a number of seconds above 0 and at most 86400, or 'unlimited'");
    }
    return static_cast<core::time_ns>(std::llround(seconds * 1e9));
}

std::uint64_t parse_byte_limit(const std::string& flag, const std::string& value) {
    if (value == "unlimited") return core::unlimited_bytes;
    const std::string rule = "expected a number of bytes from 1 to " +
                             std::to_string(std::numeric_limits<std::int64_t>::max()) +
                             ", or 'unlimited'";
    std::int64_t n = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || error != std::errc() || end != value.data() + value.size() || n < 1) {
        refuse_value(flag, value, rule);
    }
    return static_cast<std::uint64_t>(n);
}

}  // namespace

echo_options parse_echo_options(const std::vector<std::string>& args) {
    echo_options out;
    // Without the flag, errors are printed and the server goes on.
    out.server.on_handler_error = core::error_policy::call;
    flag_walk args_left(args);
    while (args_left.next()) {
        const std::string& flag = args_left.flag();
        if (flag == "--help" || flag == "-h") {
            args_left.no_value();
            out.help = true;
        } else if (flag == "--backend") {
            out.backend = parse_backend(flag, args_left.value());
        } else if (flag == "--listen") {
            out.listen = parse_listen(flag, args_left.value());
        } else if (flag == "--max-connections") {
            out.server.max_connections = static_cast<std::uint32_t>(
                parse_integer(flag, args_left.value(), 1, core::max_connections_limit));
        } else if (flag == "--max-accepts-per-batch") {
            out.server.max_accepts_per_batch = static_cast<std::uint32_t>(
                parse_integer(flag, args_left.value(), 1, core::max_accepts_per_batch_limit));
        } else if (flag == "--backlog") {
            out.server.backlog = static_cast<std::int32_t>(
                parse_integer(flag, args_left.value(), 0, core::backlog_limit));
        } else if (flag == "--on-handler-error") {
            const std::string v = args_left.value();
            if (v == "raise") {
                out.server.on_handler_error = core::error_policy::raise;
            } else if (v == "ignore") {
                out.server.on_handler_error = core::error_policy::ignore;
            } else if (v == "call") {
                out.server.on_handler_error = core::error_policy::call;
            } else {
                refuse_value(flag, v, "expected raise, ignore or call");
            }
        } else if (flag == "--drop-incoming") {
            args_left.no_value();
            out.server.drop_incoming_connections = true;
        } else if (flag == "--buffer-age-limit") {
            out.server.buffer_age_limit_ns = parse_age_limit(flag, args_left.value());
        } else if (flag == "--buffer-limit") {
            out.server.buffer_limit_bytes = parse_byte_limit(flag, args_left.value());
        } else if (flag == "--close-existing-connections") {
            args_left.no_value();
            out.close_existing_connections = true;
        } else {
            throw std::invalid_argument("unknown argument '" + args_left.argument() + "'");
        }
    }
    return out;
}

}  // namespace berth::echo
