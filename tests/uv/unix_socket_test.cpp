// A Unix-domain server: accepted sockets go to libuv through uv_pipe_open.
#include <string>
#include <unistd.h>

#include <doctest/doctest.h>

#include "berth/uv/line_protocol.hpp"
#include "berth/uv/server.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

TEST_CASE("a Unix socket server serves both forms through uv_pipe_open") {
    for (const bool stream_form : {false, true}) {
        const std::string path = "/tmp/berth-uv-test-" + std::to_string(::getpid()) + ".sock";
        test_loop loop;
        core::options o;
        o.max_connections = 2;
        o.on_handler_error = core::error_policy::ignore;
        posix::listen_spec spec = posix::listen_spec::of_file(path);
        spec.remove_stale_socket_file(true).remove_file_on_close(true);
        uv::server s =
            stream_form
                ? uv::server::create(loop.get(), spec, o, uv::line_protocol_handler(loop.get()))
                : uv::server::create_sock(loop.get(), spec, o,
                                          uv::line_protocol_sock_handler(loop.get()));
        CHECK(s.listening_on().is_unix);
        test_client c = test_client::unix_path(path);
        c.send("over unix\nquit\n");
        CHECK(c.read_line(loop, 1000 * ms) == "over unix");
        CHECK(c.read_line(loop, 1000 * ms) == "bye");
        CHECK(c.wait_closed(loop, 1000 * ms));
        CHECK(loop.run_until([&] { return s.stats().handler_ok == 1; }, 1000 * ms));
        s.close(false);
        CHECK(loop.close_loop() == 0);
        CHECK(::access(path.c_str(), F_OK) != 0);  // removed on close
    }
}

}  // namespace berth::uv_test
