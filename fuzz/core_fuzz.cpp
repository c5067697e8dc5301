// libFuzzer target for the core: the input picks small options and the connection
// form, then a stream of events, valid or not, that the driver (fuzz_driver.hpp)
// feeds the core, checking every answer; at the end the driver closes the server
// and checks that it finishes cleanly. The same function runs under the corpus
// replay (gcc builds). Every decision below takes one byte of the input, except the
// connection picks (4 bytes) and the free-form integers; craft_seeds.py relies on it.
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <fuzzer/FuzzedDataProvider.h>
#include <limits>

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

constexpr int write_errors[] = {
    EPIPE, ECONNRESET, ENOTCONN, ESHUTDOWN, ECONNABORTED, ETIMEDOUT, EIO, ENOSPC, EBADF,
};
constexpr std::size_t write_error_count = sizeof(write_errors) / sizeof(write_errors[0]);

enum class op : std::uint8_t {
    readable,
    accept,
    accept_again,
    accept_error,
    batch_done,
    handler_returned,
    bytes_buffered,
    bytes_flushed,
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
    write_failed,
    extra_completion,
    reserve_held,
    any_writer_event,
    last = any_writer_event,
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
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
        case 0: opts.buffer_limit_bytes = 100; break;
        case 1: opts.buffer_limit_bytes = 1000; break;
        case 2: opts.buffer_limit_bytes = 1 << 20; break;
        default: opts.buffer_limit_bytes = core::unlimited_bytes; break;
    }
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
        case 0: opts.buffer_age_limit_ns = core::unlimited_age_ns; break;
        case 1: opts.buffer_age_limit_ns = 10 * core::ns_per_ms; break;
        case 2: opts.buffer_age_limit_ns = core::ns_per_s; break;
        default: opts.buffer_age_limit_ns = 120 * core::ns_per_s; break;
    }
    switch (in.ConsumeIntegralInRange<int>(0, 3)) {
        case 0: opts.final_flush_timeout_ns = 0; break;
        case 1: opts.final_flush_timeout_ns = 5 * core::ns_per_ms; break;
        case 2: opts.final_flush_timeout_ns = core::ns_per_s; break;
        default: opts.final_flush_timeout_ns = 30 * core::ns_per_s; break;
    }
    return opts;
}

core::connection_form decode_form(FuzzedDataProvider& in) {
    return in.ConsumeBool() ? core::connection_form::reader_writer : core::connection_form::socket;
}

std::uint64_t decode_bytes(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange<int>(0, 7)) {
        case 0: return 0;
        case 1: return 1;
        case 2: return 100;
        case 3: return 999;
        case 4: return 1000;
        case 5: return 1001;
        case 6: return 65536;
        default: return in.ConsumeIntegralInRange<std::uint64_t>(0, 1 << 21);
    }
}

// What the kernel took: all the writer holds, half, nothing, one byte too many, or
// anything at all.
std::uint64_t decode_flushed(FuzzedDataProvider& in, std::uint64_t held) {
    switch (in.ConsumeIntegralInRange<int>(0, 4)) {
        case 0: return held;
        case 1: return held / 2;
        case 2: return 0;
        case 3: return held + 1;
        default: return in.ConsumeIntegral<std::uint64_t>();
    }
}

int decode_write_error(FuzzedDataProvider& in) {
    const auto index = in.ConsumeIntegralInRange<std::size_t>(0, write_error_count);
    return index < write_error_count ? write_errors[index] : in.ConsumeIntegral<int>();
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

// A drain timeout as close_requested carries it: relative; none; negative (refused);
// too large to add to the clock (no deadline); anything at all.
core::time_ns decode_drain_timeout(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange<int>(0, 7)) {
        case 0: return 0;
        case 1: return core::ns_per_ms;
        case 2: return core::ns_per_s;
        case 3: return 60 * core::ns_per_s;
        case 4: return -1;
        case 5: return std::numeric_limits<core::time_ns>::max() - 1;
        case 6: return in.ConsumeIntegral<core::time_ns>();
        default: return core::no_deadline_ns;
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
        case op::bytes_buffered: {
            const core::connection_id id =
                driver.running_handler(in.ConsumeIntegral<std::uint32_t>());
            driver.bytes_buffered(id, decode_bytes(in));
            break;
        }
        case op::bytes_flushed: {
            const core::connection_id id =
                driver.holding_writer(in.ConsumeIntegral<std::uint32_t>());
            driver.bytes_flushed(id, decode_flushed(in, driver.held(id)));
            break;
        }
        case op::socket_closed:
            driver.socket_closed(driver.closing_socket(in.ConsumeIntegral<std::uint32_t>()));
            break;
        case op::listener_closed: driver.listener_closed(); break;
        case op::close: {
            const bool close_existing = in.ConsumeBool();
            driver.close(close_existing, decode_drain_timeout(in));
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
        case op::write_failed: {
            const core::connection_id id =
                driver.holding_writer(in.ConsumeIntegral<std::uint32_t>());
            driver.write_failed(id, decode_write_error(in));
            break;
        }
        case op::extra_completion:
            driver.extra_completion(driver.any_id(in.ConsumeIntegral<std::uint32_t>()));
            break;
        case op::reserve_held: driver.reserve_held(in.ConsumeBool()); break;
        case op::any_writer_event: {
            const core::connection_id id = driver.any_id(in.ConsumeIntegral<std::uint32_t>());
            switch (in.ConsumeIntegralInRange<int>(0, 2)) {
                case 0: driver.bytes_buffered(id, 1); break;
                case 1: driver.bytes_flushed(id, 0); break;
                default: driver.write_failed(id, EPIPE); break;
            }
            break;
        }
    }
}

}  // namespace

}  // namespace berth::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace berth::fuzz;
    FuzzedDataProvider in(data, size);
    const berth::core::options opts = decode_options(in);
    fuzz_driver driver(opts, decode_form(in));
    const bool close_existing_at_end = in.ConsumeBool();
    for (int i = 0; i < events_per_input_max && in.remaining_bytes() > 0; ++i)
        run_one(driver, in);
    driver.finish(close_existing_at_end);
    return 0;
}
