// Reset storms: thousands of clients that connect and close at once with a reset
// (SO_LINGER 0), some before the server has accepted them, some while it writes to
// them. The server must stay up, keep its counts consistent (every connection
// taken from the kernel is a handler started and a handler ended, none failed:
// a reset is the normal end of a connection), serve the next client, and give back
// every descriptor.
#include "fault_support.hpp"

namespace berth::fault {
namespace {

constexpr std::uint32_t storm_size = 2000;
constexpr std::uint32_t wave_size = 50;  // under the backlog: connect never waits

std::uint64_t taken_from_kernel(const core::statistics& st) {
    return st.accepted + st.accept_errors_of(core::accept_error_class::per_connection);
}

/// Runs `wave(at)` storm_size / wave_size times against a line protocol server,
/// letting the server take each wave from the kernel before the next one, then
/// checks what every storm must leave behind.
template <typename Wave>
void survive_storm(const Wave& wave) {
    const std::size_t before = harness::open_descriptors();
    {
        harness h;
        core::options o = fault_options(16, 16);
        o.backlog = 128;
        error_log errors;
        auto s = h.create(test::loopback(), o, line_protocol_handler(), errors.hooks());
        const closes_at_exit guard(s);
        const address at = s.listening_on_address();
        const int listen_fd = s.listening_socket();
        for (std::uint32_t sent = 0; sent < storm_size; sent += wave_size) {
            wave(at);
            REQUIRE(h.run_until([&] { return accept_queue_length(listen_fd) == 0; }, 5s));
        }
        CHECK(h.run_until(
            [&] { return taken_from_kernel(s.stats()) == storm_size && s.num_connections() == 0; },
            10s));
        const core::statistics st = s.stats();
        MESSAGE(backend_name, ": ", storm_size, " resets: ", st.accepted, " accepted, ",
                st.accept_errors_of(core::accept_error_class::per_connection),
                " refused by accept (per connection), ", st.handler_ok, " handlers ok");
        CHECK(st.handlers_started == st.accepted);
        CHECK(st.handler_ok == st.handlers_started);
        CHECK(st.handler_errors == 0);
        CHECK(st.writer_failures == 0);
        CHECK(st.dropped == 0);
        CHECK(errors.entries.empty());
        CHECK(s.invariant());

        peer next(at);
        CHECK(round_trip(h, next, "after the storm") == "after the storm");
        CHECK(h.close_all(s));
        next.close();
        CHECK(h.wound_down());
    }
    CHECK(harness::open_descriptors() == before);
}

TEST_CASE(
    "2000 clients that connect and reset at once (SO_LINGER 0) leave the server "
    "serving, its counts consistent and no descriptor behind") {
    survive_storm([](const address& at) {
        for (std::uint32_t i = 0; i < wave_size; ++i) {
            peer p(at);
            p.reset();
        }
    });
}

TEST_CASE(
    "2000 clients that ask for a flood and reset while it is written leave the server "
    "serving, no writer failed and no descriptor behind") {
    survive_storm([](const address& at) {
        std::vector<std::unique_ptr<peer>> wave;
        for (std::uint32_t i = 0; i < wave_size; ++i) {
            wave.push_back(std::make_unique<peer>(at));
            wave.back()->send("flood 1000000\n");
        }
        for (auto& p : wave)
            p->reset();
    });
}

}  // namespace
}  // namespace berth::fault
