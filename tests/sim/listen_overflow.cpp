// A full listen queue follows Linux: the connect stays pending and the SYN is
// retried with doubling delays; `refuse` makes it fail at once instead.
#include <cerrno>

#include <doctest/doctest.h>

#include "berth/sim/kernel.hpp"
#include "berth/sim/world.hpp"

namespace berth::sim {

namespace {

constexpr time_ns ms = core::ns_per_ms;

}  // namespace

TEST_CASE("a connect to a full queue is retried and completes once there is room") {
    world_config config;
    config.kernel.syn_retry_initial_ns = 100 * ms;
    world w(1, config);
    const kernel::listen_result l = w.net().listen("127.0.0.1:0", 0);  // holds backlog + 1
    int results[2] = {-1, -1};
    for (int& r : results)
        w.net().connect(l.address, [&r](int error, std::uint32_t) { r = error; });
    w.run_for(50 * ms);
    CHECK(results[0] == 0);
    CHECK(results[1] == -1);  // still pending
    CHECK(w.net().stats().overflow_retries == 1);
    REQUIRE(w.net().accept(l.handle).error == 0);
    w.run_for(100 * ms);
    CHECK(results[1] == 0);
}

TEST_CASE("a connect that never finds room times out after the retries") {
    world_config config;
    config.kernel.syn_retry_initial_ns = 10 * ms;
    config.kernel.syn_retries_max = 3;
    world w(1, config);
    const kernel::listen_result l = w.net().listen("127.0.0.1:0", 0);
    int results[2] = {-1, -1};
    for (int& r : results)
        w.net().connect(l.address, [&r](int error, std::uint32_t) { r = error; });
    w.run();
    CHECK(results[1] == ETIMEDOUT);
    CHECK(w.now_ns() == (10 + 20 + 40) * ms);
}

TEST_CASE("with refuse, a connect to a full queue fails at once") {
    world_config config;
    config.kernel.on_listen_overflow = listen_overflow::refuse;
    world w(1, config);
    const kernel::listen_result l = w.net().listen("127.0.0.1:0", 0);
    int results[2] = {-1, -1};
    for (int& r : results)
        w.net().connect(l.address, [&r](int error, std::uint32_t) { r = error; });
    w.run();
    CHECK(results[0] == 0);
    CHECK(results[1] == ECONNREFUSED);
}

}  // namespace berth::sim
