// The checks of SEMANTICS.md section 2 that every backend makes before it opens a
// socket, so a bad option never leaves a descriptor behind.
#include <string>

#include "berth/engine/server.hpp"
#include "berth/errors.hpp"

namespace berth::engine {

core::options checked_options(core::options opts, const server_hooks& hooks,
                              std::uint32_t default_max_connections, bool has_handler,
                              const char* form) {
    if (!has_handler) throw creation_error(std::string(form) + ": the handler is empty");
    if (opts.max_connections == core::max_connections_unset) {
        opts.max_connections = default_max_connections;
    }
    if (const auto error = core::validate(opts)) throw creation_error(error->message);
    if (opts.on_handler_error == core::error_policy::call && !hooks.on_handler_error) {
        throw creation_error(
            "on_handler_error is call, but server_hooks::on_handler_error is not set");
    }
    return opts;
}

}  // namespace berth::engine
