// A server that has closed leaves nothing on the user's loop: uv_run returns,
// uv_loop_close returns 0, and every descriptor it opened is closed.
#include <doctest/doctest.h>

#include "berth/uv/line_protocol.hpp"
#include "berth/uv/server.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

namespace {

core::options opts() {
    core::options o;
    o.max_connections = 4;
    o.on_handler_error = core::error_policy::ignore;
    return o;
}

}  // namespace

TEST_CASE("uv_loop_close returns 0 after a closed server, for both handler forms") {
    for (const bool stream_form : {false, true}) {
        const int fds_before = count_descriptors();
        {
            test_loop loop;
            const posix::listen_spec spec = posix::listen_spec::bind_to(
                posix::bind_address::localhost(), posix::bind_port::chosen_by_os());
            uv::server s =
                stream_form ? uv::server::create(loop.get(), spec, opts(),
                                                 uv::line_protocol_handler(loop.get()))
                            : uv::server::create_sock(loop.get(), spec, opts(),
                                                      uv::line_protocol_sock_handler(loop.get()));
            test_client c = test_client::tcp(s.listening_on().port);
            c.send("hi\n");
            CHECK(c.read_line(loop, 1000 * ms) == "hi");
            bool closed = false;
            s.close(true, [&] { closed = true; });
            CHECK(loop.run_until([&] { return closed && s.num_connections() == 0; }, 1000 * ms));
            CHECK(c.wait_closed(loop, 1000 * ms));
            c.close();
            CHECK(s.invariant());
            CHECK(loop.close_loop() == 0);
        }
        CHECK(count_descriptors() == fds_before);
    }
}

TEST_CASE("uv_run with the default mode returns once a closed server has finished") {
    test_loop loop;
    uv::server s = uv::server::create(loop.get(), posix::listen_spec::of_port_chosen_by_os(),
                                      opts(), uv::line_protocol_handler(loop.get()));
    s.close(false);
    bool finished = false;
    s.handlers_finished([&] { finished = true; });
    CHECK(loop.run_until([&] { return finished; }, 1000 * ms));
    CHECK(loop.close_loop() == 0);
    CHECK(s.listening_socket() == -1);
}

}  // namespace berth::uv_test
