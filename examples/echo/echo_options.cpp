#include "echo_options.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "berth/posix/parse_listen_spec.hpp"

namespace berth::echo {

namespace {

bool backend_built(echo_backend backend) {
    switch (backend) {
        case echo_backend::asio:
#ifdef BERTH_ECHO_HAVE_ASIO
            return true;
#else
            return false;
#endif
        case echo_backend::uv:
#ifdef BERTH_ECHO_HAVE_UV
            return true;
#else
            return false;
#endif
    }
    return false;
}

std::string built_backends() {
    std::string names;
    if (backend_built(echo_backend::asio)) names += "asio";
    if (backend_built(echo_backend::uv)) names += names.empty() ? "uv" : ", uv";
    return names;
}

[[noreturn]] void refuse(const std::string& flag, const std::string& value,
                         const std::string& rule) {
    throw std::invalid_argument(flag + ": invalid value '" + value + "': " + rule);
}

std::int64_t parse_integer(const std::string& flag, const std::string& value, std::int64_t min,
                           std::int64_t max) {
    std::int64_t n = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (error != std::errc() || end != value.data() + value.size() || value.empty()) {
        refuse(flag, value, "expected an integer");
    }
    if (n < min || n > max) {
        refuse(flag, value,
               "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    return n;
}

core::time_ns parse_age_limit(const std::string& flag, const std::string& value) {
    if (value == "unlimited") return core::unlimited_age_ns;
    std::size_t used = 0;
    double seconds = 0;
    try {
        seconds = std::stod(value, &used);
    } catch (const std::exception&) {
        refuse(flag, value, "expected a number of seconds or 'unlimited'");
    }
    const double max_s = static_cast<double>(core::buffer_age_limit_max_ns / core::ns_per_s);
    if (used != value.size() || !std::isfinite(seconds) || seconds <= 0 || seconds > max_s) {
        refuse(flag, value,
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
        refuse(flag, value, rule);
    }
    return static_cast<std::uint64_t>(n);
}

}  // namespace

echo_options parse_echo_options(const std::vector<std::string>& args) {
    echo_options out;
    // Without the flag, errors are printed and the server goes on.
    out.server.on_handler_error = core::error_policy::call;
    // Bounded by the arguments: every turn consumes one or two.
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string flag = args[i];
        std::optional<std::string> inline_value;
        if (const std::size_t eq = flag.find('=');
            flag.rfind("--", 0) == 0 && eq != std::string::npos) {
            inline_value = flag.substr(eq + 1);
            flag.resize(eq);
        }
        const auto value = [&]() -> std::string {
            if (inline_value) return *inline_value;
            if (i + 1 >= args.size()) throw std::invalid_argument(flag + ": missing value");
            return args[++i];
        };
        const auto no_value = [&] {
            if (inline_value) throw std::invalid_argument(flag + ": takes no value");
        };
        if (flag == "--help" || flag == "-h") {
            no_value();
            out.help = true;
        } else if (flag == "--backend") {
            const std::string v = value();
            if (v == "asio" && backend_built(echo_backend::asio)) {
                out.backend = echo_backend::asio;
            } else if (v == "uv" && backend_built(echo_backend::uv)) {
                out.backend = echo_backend::uv;
            } else {
                refuse(flag, v, "this build's backends are: " + built_backends());
            }
        } else if (flag == "--listen") {
            const std::string v = value();
            try {
                out.listen = posix::parse_listen_spec(v);
            } catch (const std::invalid_argument& e) {
                throw std::invalid_argument(flag + ": " + e.what());
            }
        } else if (flag == "--max-connections") {
            out.server.max_connections = static_cast<std::uint32_t>(
                parse_integer(flag, value(), 1, core::max_connections_limit));
        } else if (flag == "--max-accepts-per-batch") {
            out.server.max_accepts_per_batch = static_cast<std::uint32_t>(
                parse_integer(flag, value(), 1, core::max_accepts_per_batch_limit));
        } else if (flag == "--backlog") {
            out.server.backlog =
                static_cast<std::int32_t>(parse_integer(flag, value(), 0, core::backlog_limit));
        } else if (flag == "--on-handler-error") {
            const std::string v = value();
            if (v == "raise") {
                out.server.on_handler_error = core::error_policy::raise;
            } else if (v == "ignore") {
                out.server.on_handler_error = core::error_policy::ignore;
            } else if (v == "call") {
                out.server.on_handler_error = core::error_policy::call;
            } else {
                refuse(flag, v, "expected raise, ignore or call");
            }
        } else if (flag == "--drop-incoming") {
            no_value();
            out.server.drop_incoming_connections = true;
        } else if (flag == "--buffer-age-limit") {
            out.server.buffer_age_limit_ns = parse_age_limit(flag, value());
        } else if (flag == "--buffer-limit") {
            out.server.buffer_limit_bytes = parse_byte_limit(flag, value());
        } else if (flag == "--close-existing-connections") {
            no_value();
            out.close_existing_connections = true;
        } else {
            throw std::invalid_argument("unknown argument '" + args[i] + "'");
        }
    }
    return out;
}

}  // namespace berth::echo
