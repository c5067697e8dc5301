// The world's own checks catch descriptor misuse: a close of a closed descriptor
// or a use after close fails the run, even when the number was reused. And a
// server leaves none of its descriptors behind.
#include <optional>
#include <vector>

#include <doctest/doctest.h>

#include "berth/line_protocol.hpp"
#include "berth/sim/kernel.hpp"
#include "berth/sim/server.hpp"
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

TEST_CASE("close(true) under live connections closes every descriptor the server opened") {
    world w(1);
    core::options opts;
    opts.max_connections = 8;
    opts.on_handler_error = core::error_policy::raise;
    server s = server::create(w, "127.0.0.1:0", opts, line_protocol_handler());
    std::vector<std::optional<socket>> clients(5);
    for (std::optional<socket>& c : clients)
        w.net().connect(s.listening_on_address().to_string(),
                        [&w, &c](int error, std::uint32_t endpoint) {
                            if (error == 0) c.emplace(w, endpoint);
                        });
    w.run_until([&] { return s.num_connections() == 5; }, core::ns_per_s);
    REQUIRE(s.num_connections() == 5);
    CHECK(w.net().fds_in_use() == 6);  // the listener and one per connection

    bool closed = false;
    s.close(true, [&closed] { closed = true; });
    w.run();
    CHECK(closed);
    CHECK(s.all_handlers_finished());
    CHECK(s.num_connections() == 0);
    CHECK(s.stats().handler_ok == 5);
    CHECK(w.net().fds_in_use() == 0);
    for (std::optional<socket>& c : clients)
        c->close();
}

}  // namespace berth::sim
