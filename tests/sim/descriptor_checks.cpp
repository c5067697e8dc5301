// The world's own checks catch descriptor misuse: a close of a closed descriptor
// or a use after close fails the run, even when the number was reused.
#include <doctest/doctest.h>

#include "berth/sim/kernel.hpp"
#include "berth/sim/world.hpp"

namespace berth::sim {

TEST_CASE("closing a descriptor twice fails the world's checks") {
    world w(1);
    const kernel::listen_result l = w.net().listen("127.0.0.1:0", 4);
    REQUIRE(l.error == 0);
    w.net().close(l.handle);
    w.post(0, [&w, &l] { w.net().close(l.handle); });
    CHECK_THROWS_AS(w.run(), check_failure);
}

TEST_CASE("a reused descriptor number does not make a stale handle valid") {
    world w(1);
    const kernel::listen_result first = w.net().listen("127.0.0.1:0", 4);
    w.net().close(first.handle);
    const kernel::listen_result second = w.net().listen("127.0.0.1:0", 4);
    CHECK((first.handle & 0xffffffffU) == (second.handle & 0xffffffffU));  // same number
    CHECK_FALSE(w.net().is_open(first.handle));
    CHECK(w.net().is_open(second.handle));
    w.post(0, [&w, &first] { static_cast<void>(w.net().accept(first.handle)); });
    CHECK_THROWS_AS(w.run(), check_failure);
}

}  // namespace berth::sim
