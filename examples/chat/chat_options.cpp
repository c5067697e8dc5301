#include "chat_options.hpp"

#include <charconv>
#include <optional>
#include <stdexcept>

#include "berth/posix/parse_listen_spec.hpp"

namespace berth::chat {

namespace {

bool backend_built(echo::echo_backend backend) {
    switch (backend) {
        case echo::echo_backend::asio:
#ifdef BERTH_CHAT_HAVE_ASIO
            return true;
#else
            return false;
#endif
        case echo::echo_backend::uv:
#ifdef BERTH_CHAT_HAVE_UV
            return true;
#else
            return false;
#endif
    }
    return false;
}

[[noreturn]] void refuse(const std::string& flag, const std::string& value,
                         const std::string& rule) {
    throw std::invalid_argument(flag + ": invalid value '" + value + "': " + rule);
}

std::int64_t parse_integer(const std::string& flag, const std::string& value, std::int64_t min,
                           std::int64_t max) {
    std::int64_t n = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || error != std::errc() || end != value.data() + value.size() || n < min ||
        n > max) {
        refuse(flag, value,
               "expected an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    return n;
}

}  // namespace

chat_options parse_chat_options(const std::vector<std::string>& args) {
    chat_options out;
    // Errors of handlers (a client cut off by its writer's limit) are printed, and
    // the server goes on.
    out.server.on_handler_error = core::error_policy::call;
    out.server.max_connections = default_max_connections;
    out.server.buffer_limit_bytes = default_buffer_limit_bytes;
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
        if (flag == "--help" || flag == "-h") {
            if (inline_value) throw std::invalid_argument(flag + ": takes no value");
            out.help = true;
        } else if (flag == "--backend") {
            const std::string v = value();
            if (v == "asio" && backend_built(echo::echo_backend::asio)) {
                out.backend = echo::echo_backend::asio;
            } else if (v == "uv" && backend_built(echo::echo_backend::uv)) {
                out.backend = echo::echo_backend::uv;
            } else {
                std::string built;
                if (backend_built(echo::echo_backend::asio)) built = "asio";
                if (backend_built(echo::echo_backend::uv)) built += built.empty() ? "uv" : ", uv";
                refuse(flag, v, "this build's backends are: " + built);
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
        } else if (flag == "--buffer-limit-bytes") {
            out.server.buffer_limit_bytes = static_cast<std::uint64_t>(
                parse_integer(flag, value(), static_cast<std::int64_t>(buffer_limit_bytes_min),
                              static_cast<std::int64_t>(buffer_limit_bytes_max)));
        } else if (flag == "--drain-deadline-ms") {
            out.drain_deadline =
                std::chrono::milliseconds(parse_integer(flag, value(), 0, drain_deadline_ms_max));
        } else {
            throw std::invalid_argument("unknown argument '" + args[i] + "'");
        }
    }
    return out;
}

}  // namespace berth::chat
