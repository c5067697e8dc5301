// A server that has closed leaves nothing on the user's loop: uv_run returns,
// uv_loop_close returns 0, and every descriptor it opened is closed, for each of
// the three handler forms.
#include <doctest/doctest.h>

#include "berth/line_protocol.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

namespace {

core::options opts() {
    core::options o;
    o.max_connections = 4;
    o.on_handler_error = core::error_policy::ignore;
    return o;
}

// Echoes one read, then completes: the native form at its simplest.
void native_echo_once(const address&, uv_stream_t* stream, uv::completion done) {
    struct state {
        uv::completion done;
        char buffer[256];
        uv_write_t write;
    };
    stream->data = new state{std::move(done), {}, {}};
    REQUIRE(uv_read_start(
                stream,
                [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
                    auto* st = static_cast<state*>(h->data);
                    *buf = uv_buf_init(st->buffer, sizeof(st->buffer));
                },
                [](uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
                    auto* st = static_cast<state*>(s->data);
                    static_cast<void>(uv_read_stop(s));
                    if (n <= 0) {
                        st->done.finish();
                        delete st;
                        return;
                    }
                    uv_buf_t out = uv_buf_init(buf->base, static_cast<unsigned int>(n));
                    st->write.data = st;
                    REQUIRE(uv_write(&st->write, s, &out, 1, [](uv_write_t* w, int) {
                                auto* written = static_cast<state*>(w->data);
                                written->done.finish();
                                delete written;
                            }) == 0);
                }) == 0);
}

}  // namespace

TEST_CASE("uv_loop_close returns 0 after a closed server, for each handler form") {
    for (const int form : {0, 1, 2}) {
        CAPTURE(form);
        const std::size_t fds_before = count_descriptors();
        {
            test_loop loop;
            uv::server s =
                form == 0
                    ? uv::server::create(loop.get(), loopback(), opts(), line_protocol_handler())
                : form == 1 ? uv::server::create_sock(loop.get(), loopback(), opts(),
                                                      line_protocol_sock_handler())
                            : uv::server::create_sock(loop.get(), loopback(), opts(),
                                                      uv::native_handler(native_echo_once));
            peer c(s.listening_on_address());
            c.send("hi\n");
            CHECK(loop.run_until([&] { return c.received() == "hi\n"; }));
            CHECK(close_all(loop, s));
            CHECK(loop.run_until([&] { return c.ended(); }));
            c.close();
            CHECK(s.invariant());
            CHECK(loop.close_loop() == 0);
        }
        CHECK(count_descriptors() == fds_before);
    }
}

TEST_CASE("uv_run with the default mode returns once a closed server has finished") {
    const std::size_t before = count_descriptors();
    {
        test_loop loop;
        uv::server s = uv::server::create(loop.get(), loopback(), opts(), line_protocol_handler());
        peer c(s.listening_on_address());
        c.send("quit\n");
        CHECK(loop.run_until([&] { return c.ended(); }));
        bool finished = false;
        s.close(false);
        s.handlers_finished([&] { finished = true; });
        // A safety stop that does not keep the loop alive (unreferenced): uv_run
        // must return by itself, long before it fires.
        uv_timer_t safety{};
        REQUIRE(uv_timer_init(loop.get(), &safety) == 0);
        REQUIRE(uv_timer_start(
                    &safety, [](uv_timer_t* t) { uv_stop(t->loop); }, 2000, 0) == 0);
        uv_unref(reinterpret_cast<uv_handle_t*>(&safety));
        const auto t0 = std::chrono::steady_clock::now();
        // The server's handles go once it has finished: uv_run itself returns.
        CHECK(uv::run(loop.get(), UV_RUN_DEFAULT) == 0);
        CHECK(std::chrono::steady_clock::now() - t0 < 1500ms);
        CHECK(finished);
        uv_close(reinterpret_cast<uv_handle_t*>(&safety), nullptr);
        CHECK(s.listening_socket() == -1);
        CHECK(loop.close_loop() == 0);
    }
    CHECK(count_descriptors() == before);
}

}  // namespace berth::uv_test
