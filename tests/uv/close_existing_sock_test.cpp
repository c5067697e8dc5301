// create_sock and close_existing_connections: libuv calls no read callback when a
// handle is closed, so the server shuts the socket down first; a handler that only
// reads sees UV_EOF, completes, and then the handle is closed.
#include <string>

#include <doctest/doctest.h>

#include "berth/uv/server.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

TEST_CASE("close_existing_connections wakes a reading create_sock handler with UV_EOF") {
    test_loop loop;
    core::options o;
    o.max_connections = 2;
    o.on_handler_error = core::error_policy::ignore;
    int started = 0;
    uv::server s = uv::server::create_sock(
        loop.get(), posix::listen_spec::of_port_chosen_by_os(), o,
        [&](const posix::socket_address&, uv_stream_t* stream, uv::completion done) {
            ++started;
            stream->data = new uv::completion(std::move(done));
            const int rc = uv_read_start(
                stream,
                [](uv_handle_t*, std::size_t, uv_buf_t* buf) {
                    static char scratch[256];
                    *buf = uv_buf_init(scratch, sizeof(scratch));
                },
                [](uv_stream_t* st, ssize_t nread, const uv_buf_t*) {
                    if (nread >= 0) return;
                    CHECK(nread == UV_EOF);
                    auto* d = static_cast<uv::completion*>(st->data);
                    static_cast<void>(uv_read_stop(st));
                    d->finish();
                    delete d;
                });
            REQUIRE(rc == 0);
        });
    test_client c = test_client::tcp(s.listening_on().port);
    CHECK(loop.run_until([&] { return started == 1; }, 1000 * ms));
    bool closed = false;
    bool finished = false;
    s.close(true, [&] { closed = true; });
    s.handlers_finished([&] { finished = true; });
    CHECK(c.wait_closed(loop, 1000 * ms));
    CHECK(loop.run_until([&] { return closed && finished; }, 1000 * ms));
    CHECK(s.stats().handler_ok == 1);
    CHECK(s.num_connections() == 0);
    CHECK(loop.close_loop() == 0);
}

}  // namespace berth::uv_test
