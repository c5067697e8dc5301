// The checks of SEMANTICS.md section 2 that every real backend makes before it
// opens a socket.
#pragma once

#include "berth/core/options.hpp"
#include "berth/driver/server_hooks.hpp"

namespace berth::driver {

/// `opts` with its defaults filled in (max_connections 0: 90% of the soft
/// descriptor limit), or creation_error when the options are refused or the `call`
/// policy has no hook. Opens nothing.
[[nodiscard]] core::options checked_options(core::options opts, const server_hooks& hooks);

/// creation_error("<form>: the handler is empty") unless `has_handler`.
void require_handler(bool has_handler, const char* form);

}  // namespace berth::driver
