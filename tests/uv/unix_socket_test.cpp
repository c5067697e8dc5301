// A Unix-domain server on libuv: accepted sockets go to libuv through
// uv_pipe_open, for both portable forms; the peer is an unnamed Unix socket. And
// remove_stale_socket_file with a real stale file, a live server's file and a
// regular file (tests/support/unix_socket_file_scenarios.hpp).
#include <string>
#include <unistd.h>

#include <doctest/doctest.h>

#include "berth/line_protocol.hpp"
#include "unix_socket_file_scenarios.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

TEST_CASE("a Unix socket server serves both portable forms through uv_pipe_open") {
    for (const bool reader_writer : {true, false}) {
        CAPTURE(reader_writer);
        const std::size_t before = count_descriptors();
        const std::string path = "/tmp/berth-uv-test-" + std::to_string(::getpid()) + ".sock";
        {
            test_loop loop;
            core::options o;
            o.max_connections = 2;
            o.on_handler_error = core::error_policy::ignore;
            posix::listen_spec spec = posix::listen_spec::of_file(path);
            spec.remove_file_on_close(true);
            std::vector<address> peers;
            uv::server s =
                reader_writer
                    ? uv::server::create(loop.get(), spec, o,
                                         [&](address p, reader& r, writer& w) {
                                             peers.push_back(p);
                                             return serve_line_protocol(p, r, w);
                                         })
                    : uv::server::create_sock(loop.get(), spec, o, [&](address p, stream& st) {
                          peers.push_back(p);
                          return serve_line_protocol(p, st);
                      });
            CHECK(s.listening_on().is_unix);
            CHECK(s.listening_on().path == path);
            CHECK(s.listening_on_address() == address::unix_path(path));
            peer c(address::unix_path(path));
            c.send("over unix\nquit\n");
            CHECK(loop.run_until([&] { return c.ended(); }));
            CHECK(c.received() == "over unix\nbye\n");
            CHECK(peers == std::vector<address>{address::unix_unnamed()});
            CHECK(loop.run_until([&] { return s.stats().handler_ok == 1; }));
            s.close(false);
            CHECK(loop.close_loop() == 0);
        }
        CHECK(::access(path.c_str(), F_OK) != 0);  // removed on close
        CHECK(count_descriptors() == before);
    }
}

TEST_CASE("a stale socket file (bound, closed, never unlinked) is removed and the server listens") {
    test::a_stale_socket_file_is_removed_and_the_server_listens_there<harness>();
}

TEST_CASE("a live server's socket file is not removed: creation fails saying a server listens") {
    test::a_live_servers_socket_file_is_not_removed<harness>();
}

TEST_CASE("a regular file at the socket path is not removed: creation fails saying so") {
    test::a_regular_file_at_the_path_is_not_removed<harness>();
}

}  // namespace berth::uv_test
