// The simulated descriptor table has a limit, so EMFILE happens for real.
#include <cerrno>

#include <doctest/doctest.h>

#include "berth/sim/kernel.hpp"
#include "berth/sim/world.hpp"

namespace berth::sim {

TEST_CASE("accept fails with EMFILE when the descriptor table is full, and recovers") {
    world_config config;
    config.kernel.fd_limit = 2;  // the listener and one connection
    world w(1, config);
    const kernel::listen_result l = w.net().listen("127.0.0.1:0", 8);
    REQUIRE(l.error == 0);
    int connected = 0;
    for (int i = 0; i < 2; ++i)
        w.net().connect(l.address, [&connected](int error, std::uint32_t) {
            if (error == 0) ++connected;
        });
    w.run();
    CHECK(connected == 2);
    const kernel::accept_result a = w.net().accept(l.handle);
    REQUIRE(a.error == 0);
    const kernel::accept_result b = w.net().accept(l.handle);
    CHECK(b.error == EMFILE);
    CHECK_FALSE(b.injected);
    w.net().close(a.handle);
    const kernel::accept_result c = w.net().accept(l.handle);
    CHECK(c.error == 0);
    CHECK(w.net().accept(l.handle).error == EMFILE);  // full again, though nothing is queued
}

}  // namespace berth::sim
