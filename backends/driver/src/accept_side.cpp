#include "berth/driver/accept_side.hpp"

#include <stdexcept>
#include <string>

#include "berth/posix/close_socket.hpp"

namespace berth::driver {

accept_side::accept_side(core::exhaustion_mode mode) {
    if (mode == core::exhaustion_mode::shed) reserve_.emplace();
}

void accept_side::run_batch(int listen_fd, core::server& core,
                            const core::actions::accept_batch& batch, core::time_ns now_ns) {
    posix::accept_context context;
    context.listen_fd = listen_fd;
    context.reserve = reserve_ ? &*reserve_ : nullptr;
    context.faults = &faults_;
    context.sink = peers_.sink();
    static_cast<void>(posix::run_accept_batch(context, core, batch, now_ns));
}

void accept_side::close_dropped(core::socket_handle socket) {
    static_cast<void>(peers_.take(socket));
    posix::close_dropped_socket(static_cast<int>(socket), reserve_ ? &*reserve_ : nullptr);
}

posix::socket_address accept_side::take_peer(core::socket_handle socket) {
    return peers_.take(socket);
}

void accept_side::inject_faults(int error_value, std::uint32_t count) {
    if (!faults_.push(error_value, count)) {
        throw std::length_error("inject_accept_faults: the fault queue holds at most " +
                                std::to_string(posix::accept_faults::runs_max) +
                                " runs of equal errno values");
    }
}

}  // namespace berth::driver
