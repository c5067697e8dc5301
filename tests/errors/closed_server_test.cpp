// Calls on a closed server (docs/semantics.md, "Calls on a closed server"): the
// same on every backend, from the moment close() is called, and again once the
// server has wound down. close is idempotent, listening_on keeps its value,
// listening_on_address throws std::logic_error, drop mode is recorded and changes
// nothing, a negative drain timeout is still refused, completions run later, and
// nothing is left open.
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>

#include <doctest/doctest.h>

#include "berth/errors.hpp"
#include "berth/line_protocol.hpp"
#include "berth/sim/kernel.hpp"
#include "berth/sim/server.hpp"
#include "berth/sim/world.hpp"
#include "errors_support.hpp"
#include "posix_test_support.hpp"
#ifdef BERTH_ERRORS_HAVE_ASIO
#include <boost/asio/io_context.hpp>

#include "berth/asio/server.hpp"
#endif
#ifdef BERTH_ERRORS_HAVE_UV
#include "berth/uv/server.hpp"
#include "uv_test_support.hpp"
#endif

namespace berth::errors_test {

namespace {

using namespace std::chrono_literals;

// Everything a row does on a closed server, given how the backend closes, waits
// and runs. `run_until` is bounded.
template <typename Harness>
void check_calls_on_a_closed_server(Harness& h) {
    auto s = h.create();
    const listen_endpoint where = s.listening_on();
    const std::string closed_message =
        "listening_on_address: the listener (listening on " + where.to_string() + ") is closed";
    int closes = 0;
    h.close(s, false, [&closes] { ++closes; });
    REQUIRE(s.is_closed());

    // From the moment close is called.
    CHECK_THROWS_WITH_AS(static_cast<void>(s.listening_on_address()), closed_message.c_str(),
                         std::logic_error);
    CHECK(s.listening_on() == where);
    h.close(s, true, [&closes] { ++closes; });  // idempotent: the first one's completion
    CHECK(closes == 0);                         // completions never run inside the call
    REQUIRE(h.run_until([&] { return closes == 2; }));
    bool finished = false;
    s.handlers_finished([&finished] { finished = true; });
    REQUIRE(h.run_until([&] { return finished; }));

    // Once the server has wound down.
    CHECK(s.listening_on() == where);
    CHECK_THROWS_WITH_AS(static_cast<void>(s.listening_on_address()), closed_message.c_str(),
                         std::logic_error);
    CHECK(h.listening_socket_is_closed(s));
    s.set_drop_incoming_connections(true);
    CHECK(s.is_dropping_incoming_connections());
    s.set_drop_incoming_connections(false);
    CHECK_FALSE(s.is_dropping_incoming_connections());
    CHECK_THROWS_WITH_AS(h.close_with_drain(s, -1ns, [] {}),
                         "close_with_drain: the drain timeout must not be negative (got -1 ns)",
                         creation_error);
    h.close(s, true, [&closes] { ++closes; });
    h.close_with_drain(s, 1s, [&closes] { ++closes; });
    CHECK(closes == 2);
    REQUIRE(h.run_until([&] { return closes == 4; }));
    bool finished_again = false;
    s.handlers_finished([&finished_again] { finished_again = true; });
    CHECK_FALSE(finished_again);
    REQUIRE(h.run_until([&] { return finished_again; }));
    CHECK(s.num_connections() == 0);
    CHECK(s.stats().accepted == 0);
    CHECK(s.invariant());
}

struct sim_harness {
    sim::world w{1};
    sim::server create() {
        core::options o = good_options();
        return sim::server::create(w, "127.0.0.1:0", o, line_protocol_handler());
    }
    static void close(sim::server& s, bool all, std::function<void()> done) {
        s.close(all, std::move(done));
    }
    static void close_with_drain(sim::server& s, std::chrono::nanoseconds t,
                                 std::function<void()> done) {
        s.close_with_drain(t, std::move(done));
    }
    bool run_until(const std::function<bool()>& done) {
        return w.run_until(done, 10 * core::ns_per_s);
    }
    static bool listening_socket_is_closed(const sim::server& s) {
        return s.listening_socket() == 0;
    }
};

#ifdef BERTH_ERRORS_HAVE_ASIO
struct asio_harness {
    boost::asio::io_context ctx;
    asio::server create() {
        return asio::server::create(ctx, loopback(), good_options(), line_protocol_handler());
    }
    static void close(asio::server& s, bool all, std::function<void()> done) {
        s.close(all, std::move(done));
    }
    static void close_with_drain(asio::server& s, std::chrono::nanoseconds t,
                                 std::function<void()> done) {
        s.close_with_drain(t, std::move(done));
    }
    bool run_until(const std::function<bool()>& done) {
        const auto until = std::chrono::steady_clock::now() + 2s;
        while (!done()) {
            if (std::chrono::steady_clock::now() >= until) return false;
            if (ctx.stopped()) ctx.restart();
            static_cast<void>(ctx.run_one_for(1ms));
        }
        return true;
    }
    static bool listening_socket_is_closed(const asio::server& s) {
        return s.listening_socket() == -1;
    }
    static posix::listen_spec loopback() {
        return posix::listen_spec::bind_to(posix::bind_address::localhost(),
                                           posix::bind_port::chosen_by_os());
    }
};
#endif

#ifdef BERTH_ERRORS_HAVE_UV
struct uv_harness {
    uv_test::test_loop loop;
    uv::server create() {
        return uv::server::create(loop.get(), uv_test::loopback(), good_options(),
                                  line_protocol_handler());
    }
    static void close(uv::server& s, bool all, std::function<void()> done) {
        s.close(all, std::move(done));
    }
    static void close_with_drain(uv::server& s, std::chrono::nanoseconds t,
                                 std::function<void()> done) {
        s.close_with_drain(t, std::move(done));
    }
    bool run_until(const std::function<bool()>& done) { return loop.run_until(done); }
    static bool listening_socket_is_closed(const uv::server& s) {
        return s.listening_socket() == -1;
    }
};
#endif

}  // namespace

TEST_CASE("sim: every call on a closed server behaves as docs/semantics.md says") {
    const std::size_t before = posix::test::open_fd_count();
    {
        sim_harness h;
        check_calls_on_a_closed_server(h);
        CHECK(h.w.net().fds_in_use() == 0);
    }
    CHECK(posix::test::open_fd_count() == before);
}

#ifdef BERTH_ERRORS_HAVE_ASIO
TEST_CASE("asio: every call on a closed server behaves as docs/semantics.md says") {
    const std::size_t before = posix::test::open_fd_count();
    {
        asio_harness h;
        check_calls_on_a_closed_server(h);
        h.ctx.restart();
        static_cast<void>(h.ctx.run_for(100ms));
        CHECK(h.ctx.stopped());  // the closed server holds no work
    }
    CHECK(posix::test::open_fd_count() == before);
}
#endif

#ifdef BERTH_ERRORS_HAVE_UV
TEST_CASE("uv: every call on a closed server behaves as docs/semantics.md says") {
    const std::size_t before = uv_test::count_descriptors();
    {
        uv_harness h;
        check_calls_on_a_closed_server(h);
        CHECK(h.loop.close_loop() == 0);  // the closed server left nothing on the loop
    }
    CHECK(uv_test::count_descriptors() == before);
}
#endif

}  // namespace berth::errors_test
