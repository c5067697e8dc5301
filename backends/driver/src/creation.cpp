#include "berth/driver/creation.hpp"

#include <string>

#include "berth/driver/errors.hpp"
#include "berth/posix/default_max_connections.hpp"

namespace berth::driver {

core::options checked_options(core::options opts, const server_hooks& hooks) {
    if (opts.max_connections == core::max_connections_unset) {
        opts.max_connections = posix::default_max_connections();
    }
    if (const auto error = core::validate(opts)) throw creation_error(error->message);
    if (opts.on_handler_error == core::error_policy::call && !hooks.on_handler_error) {
        throw creation_error(
            "on_handler_error is call, but server_hooks::on_handler_error is not set");
    }
    return opts;
}

void require_handler(bool has_handler, const char* form) {
    if (!has_handler) throw creation_error(std::string(form) + ": the handler is empty");
}

}  // namespace berth::driver
