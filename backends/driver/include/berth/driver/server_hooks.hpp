// The user's hooks of a real backend's server. Where and when they run is the
// backend's (see its server.hpp); what they receive is the same everywhere.
#pragma once

#include <exception>
#include <functional>

#include "berth/core/action.hpp"
#include "berth/posix/socket_address.hpp"

namespace berth::driver {

struct server_hooks {
    /// The `call` policy's function (required with error_policy::call). It runs on
    /// the server's loop after the connection's slot is free. If it throws, the
    /// server starts closing (without closing existing connections) and the
    /// exception is raised on the loop as the backend raises errors.
    std::function<void(const posix::socket_address& peer, std::exception_ptr error)>
        on_handler_error;
    /// Operator notices: at limit, out of descriptors, late results, drain deadline.
    std::function<void(const core::actions::notice&)> on_notice;
};

}  // namespace berth::driver
