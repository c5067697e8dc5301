// SEMANTICS.md section 5 in libuv's style: an exception thrown synchronously from
// the handler is a failure; the first completion wins.
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "berth/uv/server.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

namespace {

struct recorder {
    std::vector<std::string> calls;
    uv::server_hooks hooks() {
        uv::server_hooks h;
        h.on_handler_error = [this](const posix::socket_address&, std::exception_ptr e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                calls.emplace_back(ex.what());
            }
        };
        return h;
    }
};

core::options call_policy() {
    core::options o;
    o.max_connections = 2;
    o.on_handler_error = core::error_policy::call;
    return o;
}

}  // namespace

TEST_CASE("an exception thrown synchronously from the handler is a failure") {
    test_loop loop;
    recorder r;
    uv::server s = uv::server::create_sock(
        loop.get(), posix::listen_spec::of_port_chosen_by_os(), call_policy(),
        [](const posix::socket_address&, uv_stream_t*, uv::completion) {
            throw std::runtime_error("thrown at once");
        },
        r.hooks());
    test_client c = test_client::tcp(s.listening_on().port);
    CHECK(c.wait_closed(loop, 1000 * ms));
    CHECK(loop.run_until([&] { return r.calls.size() == 1; }, 1000 * ms));
    CHECK(r.calls == std::vector<std::string>{"thrown at once"});
    CHECK(s.stats().handler_errors == 1);
    CHECK(s.num_connections() == 0);
    s.close(false);
    CHECK(loop.close_loop() == 0);
}

TEST_CASE("the first completion decides; later ones and a throw after it are ignored") {
    test_loop loop;
    recorder r;
    uv::server s = uv::server::create(
        loop.get(), posix::listen_spec::of_port_chosen_by_os(), call_policy(),
        [](const posix::socket_address&, uv::reader&, uv::writer& w, uv::completion done) {
            w.write("one\n");
            done.finish();
            done.fail("too late");
            CHECK(done.is_done());
            throw std::runtime_error("also too late");
        },
        r.hooks());
    test_client c = test_client::tcp(s.listening_on().port);
    CHECK(c.read_line(loop, 1000 * ms) == "one");
    CHECK(c.wait_closed(loop, 1000 * ms));
    CHECK(loop.run_until([&] { return s.stats().handler_ok == 1; }, 1000 * ms));
    CHECK(s.stats().handler_errors == 0);
    CHECK(r.calls.empty());
    s.close(false);
    CHECK(loop.close_loop() == 0);
}

}  // namespace berth::uv_test
