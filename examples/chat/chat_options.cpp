#include "chat_options.hpp"

#include <stdexcept>

#include "command_line.hpp"

namespace berth::chat {

chat_options parse_chat_options(const std::vector<std::string>& args) {
    chat_options out;
    // Errors of handlers (a client cut off by its writer's limit) are printed, and
    // the server goes on.
    out.server.on_handler_error = core::error_policy::call;
    out.server.max_connections = default_max_connections;
    out.server.buffer_limit_bytes = default_buffer_limit_bytes;
    echo::flag_walk args_left(args);
    while (args_left.next()) {
        const std::string& flag = args_left.flag();
        if (flag == "--help" || flag == "-h") {
            args_left.no_value();
            out.help = true;
        } else if (flag == "--backend") {
            out.backend = echo::parse_backend(flag, args_left.value());
        } else if (flag == "--listen") {
            out.listen = echo::parse_listen(flag, args_left.value());
        } else if (flag == "--max-connections") {
            out.server.max_connections = static_cast<std::uint32_t>(
                echo::parse_integer(flag, args_left.value(), 1, core::max_connections_limit));
        } else if (flag == "--buffer-limit-bytes") {
            out.server.buffer_limit_bytes = static_cast<std::uint64_t>(echo::parse_integer(
                flag, args_left.value(), static_cast<std::int64_t>(buffer_limit_bytes_min),
                static_cast<std::int64_t>(buffer_limit_bytes_max)));
        } else if (flag == "--drain-deadline-ms") {
            out.drain_deadline = std::chrono::milliseconds(
                echo::parse_integer(flag, args_left.value(), 0, drain_deadline_ms_max));
        } else {
            throw std::invalid_argument("unknown argument '" + args_left.argument() + "'");
        }
    }
    return out;
}

}  // namespace berth::chat
