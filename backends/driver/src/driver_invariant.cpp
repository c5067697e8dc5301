#include "berth/driver/driver_invariant.hpp"

namespace berth::driver {

const char* check_driver_invariant(const core::server& core, bool waiting_readable,
                                   std::uint32_t connections_held) {
    if (const char* broken = core.check_invariant()) return broken;
    if (waiting_readable != (core.accept_step() == core::accept_phase::waiting_readable)) {
        return "the driver and the core disagree on the outstanding accept step";
    }
    if (connections_held > core.num_connections()) {
        return "the driver holds more connections than the core counts";
    }
    return nullptr;
}

}  // namespace berth::driver
