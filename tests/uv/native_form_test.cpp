// The native create_sock form on libuv: a callback handler on the uv_stream_t that
// ends by calling its completion runs on the same engine as the portable forms:
// max_connections holds it, close(true) shuts its stream down first and closes the
// handle once it completes (or after final_flush_timeout), a second completion is
// an extra_completion notice, and the error policy sees fail() and a throw.
#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "portable_scenarios.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

namespace {

core::options native_options(std::uint32_t connections_max, core::error_policy policy) {
    core::options o;
    o.max_connections = connections_max;
    o.on_handler_error = policy;
    return o;
}

// Echoes what it reads until the end of the stream, then completes.
struct echo_session {
    uv::completion done;
    std::array<char, 4096> in{};

    struct write_request {
        uv_write_t req{};
        std::string bytes;
    };

    static void start(const address&, uv_stream_t* stream, uv::completion done) {
        stream->data = new echo_session{std::move(done)};
        REQUIRE(uv_read_start(stream, on_alloc, on_read) == 0);
    }
    static void on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
        auto* self = static_cast<echo_session*>(h->data);
        *buf = uv_buf_init(self->in.data(), static_cast<unsigned int>(self->in.size()));
    }
    static void on_read(uv_stream_t* stream, ssize_t n, const uv_buf_t*) {
        auto* self = static_cast<echo_session*>(stream->data);
        if (n == 0) return;
        if (n < 0) {
            static_cast<void>(uv_read_stop(stream));
            stream->data = nullptr;
            self->done.finish();
            delete self;
            return;
        }
        auto* w = new write_request{{}, std::string(self->in.data(), static_cast<std::size_t>(n))};
        uv_buf_t out = uv_buf_init(w->bytes.data(), static_cast<unsigned int>(w->bytes.size()));
        REQUIRE(uv_write(&w->req, stream, &out, 1, [](uv_write_t* req, int) {
                    delete reinterpret_cast<write_request*>(req);
                }) == 0);
    }
};

// Reads until the end and records how it ended, without completing: the test
// completes it.
struct end_probe {
    std::optional<uv::completion> done;
    std::array<char, 64> in{};
    ssize_t end = 0;
    bool handle_open_at_end = false;

    void start(uv_stream_t* stream, uv::completion d) {
        done = d;
        stream->data = this;
        REQUIRE(uv_read_start(
                    stream,
                    [](uv_handle_t* h, std::size_t, uv_buf_t* buf) {
                        auto* self = static_cast<end_probe*>(h->data);
                        *buf = uv_buf_init(self->in.data(),
                                           static_cast<unsigned int>(self->in.size()));
                    },
                    [](uv_stream_t* s, ssize_t n, const uv_buf_t*) {
                        auto* self = static_cast<end_probe*>(s->data);
                        if (n >= 0) return;
                        self->end = n;
                        self->handle_open_at_end =
                            uv_is_closing(reinterpret_cast<uv_handle_t*>(s)) == 0;
                        static_cast<void>(uv_read_stop(s));
                    }) == 0);
    }
};

}  // namespace

TEST_CASE("a native libuv handler is held to max_connections, and a freed slot admits the next") {
    const std::size_t before = count_descriptors();
    {
        test_loop loop;
        std::vector<address> peers;
        uv::server s = uv::server::create_sock(
            loop.get(), loopback(), native_options(1, core::error_policy::ignore),
            uv::native_handler([&](const address& p, uv_stream_t* st, uv::completion done) {
                peers.push_back(p);
                echo_session::start(p, st, std::move(done));
            }));
        peer first(s.listening_on_address());
        const address first_address = first.local_address();
        first.send("one\n");
        REQUIRE(loop.run_until([&] { return first.received() == "one\n"; }));
        peer second(s.listening_on_address());
        second.send("two\n");
        static_cast<void>(loop.run_until([] { return false; }, 100ms));
        CHECK(second.received().empty());  // waits in the backlog
        CHECK(s.num_connections() == 1);
        CHECK(s.stats().times_at_limit == 1);
        first.close();  // the handler sees the end and completes: the slot frees
        CHECK(loop.run_until([&] { return second.received() == "two\n"; }));
        REQUIRE(peers.size() == 2);
        CHECK(peers[0] == first_address);
        CHECK(peers[1] == second.local_address());
        CHECK(s.stats().handler_ok == 1);
        CHECK(close_all(loop, s));
        CHECK(s.stats().handler_ok == 2);
        CHECK(loop.run_until([&] { return second.ended(); }));
        CHECK(loop.close_loop() == 0);
    }
    CHECK(count_descriptors() == before);
}

TEST_CASE("close(true) shuts a native stream down first and closes it when it completes") {
    const std::size_t before = count_descriptors();
    {
        test_loop loop;
        core::options o = native_options(2, core::error_policy::ignore);
        o.final_flush_timeout_ns = 10 * core::ns_per_s;  // out of the way
        end_probe probe;
        uv::server s = uv::server::create_sock(
            loop.get(), loopback(), o,
            uv::native_handler([&](const address&, uv_stream_t* st, uv::completion done) {
                probe.start(st, std::move(done));
            }));
        peer c(s.listening_on_address());
        REQUIRE(loop.run_until([&] { return probe.done.has_value(); }));
        bool closed = false;
        bool finished = false;
        s.close(true, [&] { closed = true; });
        s.handlers_finished([&] { finished = true; });
        // The shutdown wakes the reading handler with UV_EOF on a handle still open,
        // and the peer sees the end at once.
        CHECK(loop.run_until([&] { return probe.end != 0 && c.ended(); }));
        CHECK(probe.end == UV_EOF);
        CHECK(probe.handle_open_at_end);
        // The handle waits for the handler's completion.
        static_cast<void>(loop.run_until([] { return false; }, 50ms));
        CHECK_FALSE(closed);
        CHECK(s.num_connections() == 1);
        probe.done->finish();
        CHECK(loop.run_until([&] { return closed && finished; }));
        CHECK(s.num_connections() == 0);
        CHECK(s.stats().handler_ok == 1);
        CHECK(s.stats().extra_completions == 0);
        probe.done.reset();
        CHECK(loop.close_loop() == 0);
    }
    CHECK(count_descriptors() == before);
}

TEST_CASE("a native handler that never completes has its handle closed after final_flush_timeout") {
    const std::size_t before = count_descriptors();
    {
        test_loop loop;
        core::options o = native_options(2, core::error_policy::ignore);
        o.final_flush_timeout_ns = 100 * core::ns_per_ms;
        std::optional<uv::completion> kept;
        uv::server s =
            uv::server::create_sock(loop.get(), loopback(), o,
                                    uv::native_handler([&](const address&, uv_stream_t*,
                                                           uv::completion done) { kept = done; }));
        peer c(s.listening_on_address());
        REQUIRE(loop.run_until([&] { return kept.has_value(); }));
        bool closed = false;
        bool finished = false;
        const auto t0 = std::chrono::steady_clock::now();
        s.close(true, [&] { closed = true; });
        s.handlers_finished([&] { finished = true; });
        CHECK(loop.run_until([&] { return c.ended(); }, 80ms));  // shut down at once
        CHECK_FALSE(closed);
        CHECK(loop.run_until([&] { return closed; }));
        const auto waited = test::elapsed_since(t0);
        CAPTURE(waited.count());
        CHECK(waited >= 100ms);
        CHECK(waited < 1000ms);
        // The handle is gone, but the slot is the handler's until it completes.
        static_cast<void>(loop.run_until([] { return false; }, 20ms));
        CHECK_FALSE(finished);
        CHECK(s.num_connections() == 1);
        kept->finish();
        CHECK(loop.run_until([&] { return finished; }));
        CHECK(s.num_connections() == 0);
        CHECK(s.stats().handler_ok == 1);
        kept.reset();
        CHECK(loop.close_loop() == 0);
    }
    CHECK(count_descriptors() == before);
}

TEST_CASE("a second native completion is an extra_completion notice, even after the release") {
    const std::size_t before = count_descriptors();
    {
        test_loop loop;
        test::error_log errors;
        server_hooks hooks = errors.hooks();
        std::vector<core::actions::notice> notices;
        hooks.on_notice = [&](const core::actions::notice& n) { notices.push_back(n); };
        std::optional<uv::completion> kept;
        uv::server s = uv::server::create_sock(
            loop.get(), loopback(), native_options(2, core::error_policy::call),
            uv::native_handler([&](const address&, uv_stream_t*, uv::completion done) {
                kept = done;
                done.finish();                                       // decides: ok
                done.fail("too late");                               // extra
                throw std::runtime_error("thrown after finishing");  // extra
            }),
            hooks);
        const auto extras = [&] {
            return std::count_if(notices.begin(), notices.end(), [](const auto& n) {
                return n.kind == core::notice_kind::extra_completion;
            });
        };
        peer c(s.listening_on_address());
        CHECK(loop.run_until([&] { return s.stats().handler_ok == 1 && extras() == 2; }));
        CHECK(s.stats().extra_completions == 2);
        CHECK(s.stats().handler_errors == 0);
        CHECK(loop.run_until([&] { return c.ended() && s.num_connections() == 0; }));
        kept->finish();  // the connection is released: still only a notice
        CHECK(loop.run_until([&] { return extras() == 3; }));
        CHECK(s.stats().extra_completions == 3);
        CHECK(errors.entries.empty());
        CHECK(s.invariant());
        kept.reset();
        CHECK(close_all(loop, s));
        CHECK(loop.close_loop() == 0);
    }
    CHECK(count_descriptors() == before);
}

TEST_CASE("a native handler's fail(), fail(nullptr) and a synchronous throw go to call") {
    const std::size_t before = count_descriptors();
    {
        test_loop loop;
        test::error_log errors;
        int mode = 0;
        uv::server s = uv::server::create_sock(
            loop.get(), loopback(), native_options(2, core::error_policy::call),
            uv::native_handler([&](const address&, uv_stream_t*, uv::completion done) {
                if (mode == 0) done.fail("failed by completion");
                if (mode == 1) done.fail(std::exception_ptr{});
                if (mode == 2) throw std::runtime_error("thrown at once");
            }),
            errors.hooks());
        std::vector<address> peers;
        for (mode = 0; mode < 3; ++mode) {
            peer c(s.listening_on_address());
            peers.push_back(c.local_address());
            CHECK(loop.run_until([&] { return errors.entries.size() == std::size_t(mode) + 1; }));
            CHECK(loop.run_until([&] { return c.ended(); }));
        }
        REQUIRE(errors.entries.size() == 3);
        CHECK(errors.entries[0].what == "failed by completion");
        CHECK(errors.entries[1].what == "handler failed without an error");
        CHECK(errors.entries[2].what == "thrown at once");
        for (std::size_t i = 0; i < 3; ++i)
            CHECK(errors.entries[i].peer == peers[i]);
        CHECK(s.stats().handler_errors == 3);
        CHECK(s.stats().extra_completions == 0);
        CHECK_FALSE(s.is_closed());
        CHECK(close_all(loop, s));
        CHECK(loop.close_loop() == 0);
    }
    CHECK(count_descriptors() == before);
}

TEST_CASE("raise: a native handler's fail() comes out of berth::uv::run and closes the server") {
    const std::size_t before = count_descriptors();
    {
        test_loop loop;
        uv::server s = uv::server::create_sock(
            loop.get(), loopback(), native_options(2, core::error_policy::raise),
            uv::native_handler([](const address&, uv_stream_t*, uv::completion done) {
                done.fail("native raise");
            }));
        peer c(s.listening_on_address());
        CHECK(loop.run_until_thrown() == "native raise");
        CHECK(s.is_closed());
        CHECK(s.num_connections() == 0);
        CHECK(s.listening_socket() == -1);
        CHECK(loop.run_until([&] { return c.ended(); }));
        CHECK(loop.close_loop() == 0);
    }
    CHECK(count_descriptors() == before);
}

}  // namespace berth::uv_test
