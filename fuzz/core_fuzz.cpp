// libFuzzer target for the core: the input picks small options, then a stream of
// events, valid or not, that the driver (fuzz_driver.hpp) feeds the core, checking
// every answer; at the end the driver closes the server and checks that it
// finishes cleanly. The same function runs under the corpus replay (gcc builds).
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_driver.hpp"

namespace berth::fuzz {

namespace {

// Bytes bound the run anyway; this bounds it for very long inputs too.
constexpr int events_per_input_max = 4096;

constexpr int accept_errors[] = {
    EAGAIN,      EWOULDBLOCK, EINTR,  ECONNABORTED, EPROTO,     EPERM,       ENETDOWN,
    ENOPROTOOPT, EHOSTDOWN,   ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH, EMFILE,
    ENFILE,      ENOBUFS,     ENOMEM, EBADF,        ENOTSOCK,   EINVAL,      EFAULT,
};
constexpr std::size_t accept_error_count = sizeof(accept_errors) / sizeof(accept_errors[0]);

enum class op : std::uint8_t {
    readable,
    accept,
    accept_again,
    accept_error,
    batch_done,
    handler_returned,
    writer_failed,
    peer_gone,
    socket_closed,
    listener_closed,
    close,
    set_drop,
    time_passes,
    event_in_the_past,
    any_socket_closed,
    any_handler_returned,
    next_natural_step,
    close_in_next_handler,
    shed,
    last = shed,
};

core::options decode_options(FuzzedDataProvider& in) {
    core::options opts;
    opts.max_connections = in.ConsumeIntegralInRange<std::uint32_t>(1, 8);
    opts.max_accepts_per_batch = in.ConsumeIntegralInRange<std::uint32_t>(1, 4);
    switch (in.ConsumeIntegralInRange<int>(0, 2)) {
        case 0: opts.on_handler_error = core::error_policy::raise; break;
        case 1: opts.on_handler_error = core::error_policy::ignore; break;
        default: opts.on_handler_error = core::error_policy::call; break;
    }
    opts.on_accept_exhaustion =
        in.ConsumeBool() ? core::exhaustion_mode::shed : core::exhaustion_mode::back_off;
    opts.drop_incoming_connections = in.ConsumeBool();
    return opts;
}

int decode_accept_error(FuzzedDataProvider& in) {
    const auto index = in.ConsumeIntegralInRange<std::size_t>(0, accept_error_count);
    // One past the table: any value at all, which the core must classify too.
    return index < accept_error_count ? accept_errors[index] : in.ConsumeIntegral<int>();
}

core::time_ns decode_delay(FuzzedDataProvider& in, core::time_ns deadline_ns,
                           core::time_ns now_ns) {
    switch (in.ConsumeIntegralInRange<int>(0, 9)) {
        case 0: return 0;
        case 1: return 1;
        case 2: return core::ns_per_ms;
        case 3: return 5 * core::ns_per_ms;
        case 4: return core::ns_per_s;
        case 5: return 60 * core::ns_per_s;
        case 6: return 61 * core::ns_per_s;
        case 7:
            // Exactly to the timer the core asked for.
            return deadline_ns != core::no_deadline_ns && deadline_ns > now_ns
                       ? deadline_ns - now_ns
                       : 0;
        case 8: return in.ConsumeIntegralInRange<core::time_ns>(0, 3600 * core::ns_per_s);
        default: return 10 * core::ns_per_ms;
    }
}

core::time_ns decode_drain_delay(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange<int>(0, 4)) {
        case 0: return 0;
        case 1: return core::ns_per_ms;
        case 2: return core::ns_per_s;
        case 3: return 60 * core::ns_per_s;
        default: return -1;  // no deadline
    }
}

void run_one(fuzz_driver& driver, FuzzedDataProvider& in) {
    const auto code =
        in.ConsumeIntegralInRange<std::uint8_t>(0, static_cast<std::uint8_t>(op::last));
    switch (static_cast<op>(code)) {
        case op::readable: driver.readable(); break;
        case op::accept:
        case op::accept_again: driver.accept(); break;
        case op::accept_error: driver.accept_error(decode_accept_error(in)); break;
        case op::batch_done: driver.batch_done(); break;
        case op::handler_returned: {
            const core::connection_id id =
                driver.running_handler(in.ConsumeIntegral<std::uint32_t>());
            driver.handler_returned(id,
                                    in.ConsumeBool() ? core::outcome::error : core::outcome::ok);
            break;
        }
        case op::writer_failed:
            driver.writer_failed(driver.running_handler(in.ConsumeIntegral<std::uint32_t>()));
            break;
        case op::peer_gone:
            driver.peer_gone(driver.running_handler(in.ConsumeIntegral<std::uint32_t>()));
            break;
        case op::socket_closed:
            driver.socket_closed(driver.closing_socket(in.ConsumeIntegral<std::uint32_t>()));
            break;
        case op::listener_closed: driver.listener_closed(); break;
        case op::close: {
            const bool close_existing = in.ConsumeBool();
            driver.close(close_existing, decode_drain_delay(in));
            break;
        }
        case op::set_drop: driver.set_drop(in.ConsumeBool()); break;
        case op::time_passes:
            driver.time_passes(decode_delay(in, driver.deadline_ns(), driver.now_ns()));
            break;
        case op::event_in_the_past: driver.event_in_the_past(); break;
        case op::any_socket_closed:
            driver.socket_closed(driver.any_id(in.ConsumeIntegral<std::uint32_t>()));
            break;
        case op::any_handler_returned:
            driver.handler_returned(driver.any_id(in.ConsumeIntegral<std::uint32_t>()),
                                    core::outcome::ok);
            break;
        case op::next_natural_step: driver.next_natural_step(); break;
        case op::close_in_next_handler: driver.close_in_next_handler(in.ConsumeBool()); break;
        case op::shed: driver.shed(); break;
    }
}

}  // namespace

}  // namespace berth::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace berth::fuzz;
    FuzzedDataProvider in(data, size);
    fuzz_driver driver(decode_options(in));
    const bool close_existing_at_end = in.ConsumeBool();
    for (int i = 0; i < events_per_input_max && in.remaining_bytes() > 0; ++i)
        run_one(driver, in);
    driver.finish(close_existing_at_end);
    return 0;
}
