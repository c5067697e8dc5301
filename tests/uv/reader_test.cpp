// The reader of `create` (SEMANTICS.md section 7): read_exactly, read_some and
// read_line with callbacks, the end of the stream reported, not thrown.
#include <array>
#include <memory>
#include <string>

#include <doctest/doctest.h>

#include "berth/uv/server.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

namespace {

struct session {
    uv::reader* r;
    uv::writer* w;
    uv::completion done;
    std::array<char, 4> four{};
    std::array<char, 64> some{};
};

// Reads 4 bytes exactly, then a line, then some bytes, then expects the end; says
// what it got on each step.
void steps(const std::shared_ptr<session>& s) {
    s->r->read_exactly(s->four, [s](std::size_t n) {
        s->w->write("exactly:" + std::string(s->four.data(), n) + "\n");
        s->r->read_line([s](std::optional<std::string> line) {
            s->w->write("line:" + line.value_or("(none)") + "\n");
            s->r->read_some(s->some, [s](std::size_t n2) {
                s->w->write("some:" + std::string(s->some.data(), n2) + "\n");
                s->r->read_line([s](std::optional<std::string> end) {
                    s->w->write(std::string("end:") + (end ? "line" : "none") +
                                " at_end:" + (s->r->at_end() ? "yes" : "no") + " reason:" +
                                (s->r->end_reason() == UV_EOF ? "eof" : "other") + "\n");
                    s->done.finish();
                });
            });
        });
    });
}

}  // namespace

TEST_CASE("read_exactly, read_line and read_some deliver in order and the end is not an error") {
    test_loop loop;
    core::options o;
    o.max_connections = 2;
    o.on_handler_error = core::error_policy::ignore;
    uv::server s = uv::server::create(
        loop.get(), posix::listen_spec::of_port_chosen_by_os(), o,
        [](const posix::socket_address&, uv::reader& r, uv::writer& w, uv::completion done) {
            auto state = std::make_shared<session>(session{&r, &w, std::move(done)});
            steps(state);
        });
    test_client c = test_client::tcp(s.listening_on().port);
    c.send("abcdrest of line\r\ntail");
    CHECK(c.read_line(loop, 1000 * ms) == "exactly:abcd");
    CHECK(c.read_line(loop, 1000 * ms) == "line:rest of line");
    CHECK(c.read_line(loop, 1000 * ms) == "some:tail");
    c.shutdown_write();
    CHECK(c.read_line(loop, 1000 * ms) == "end:none at_end:yes reason:eof");
    CHECK(c.wait_closed(loop, 1000 * ms));
    CHECK(loop.run_until([&] { return s.stats().handler_ok == 1; }, 1000 * ms));
    s.close(false);
    CHECK(loop.close_loop() == 0);
}

TEST_CASE("a read callback never runs inside the read call, even with the data buffered") {
    test_loop loop;
    core::options o;
    o.max_connections = 2;
    o.on_handler_error = core::error_policy::ignore;
    int inside = 0;
    int delivered = 0;
    uv::server s = uv::server::create(
        loop.get(), posix::listen_spec::of_port_chosen_by_os(), o,
        [&](const posix::socket_address&, uv::reader& r, uv::writer&, uv::completion done) {
            r.read_line([&r, &inside, &delivered, done](std::optional<std::string>) {
                ++delivered;
                bool in_call = true;
                // "b" is already buffered: its callback must still wait.
                r.read_line([&in_call, &inside, &delivered, done](std::optional<std::string>) {
                    ++delivered;
                    inside += in_call ? 1 : 0;
                    done.finish();
                });
                in_call = false;
            });
        });
    test_client c = test_client::tcp(s.listening_on().port);
    c.send("a\nb\n");
    CHECK(loop.run_until([&] { return delivered == 2; }, 1000 * ms, [&] { c.poll(); }));
    CHECK(inside == 0);
    s.close(true);
    CHECK(loop.close_loop() == 0);
}

}  // namespace berth::uv_test
