// SEMANTICS.md section 2 on libuv: a null loop, refused options, an empty handler
// and the call policy without its hook are each a creation_error naming what is
// wrong, raised before any socket exists; a failed bind leaves nothing open.
#include <string>

#include <doctest/doctest.h>

#include "berth/errors.hpp"
#include "berth/line_protocol.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

namespace {

core::options valid_options() {
    core::options o;
    o.max_connections = 2;
    o.on_handler_error = core::error_policy::ignore;
    return o;
}

void native_noop(const address&, uv_stream_t*, uv::completion done) {
    done.finish();
}

}  // namespace

TEST_CASE("a null loop is refused by every creation form, naming the form and the loop") {
    const std::size_t before = count_descriptors();
    CHECK_THROWS_WITH_AS(static_cast<void>(uv::server::create(nullptr, loopback(), valid_options(),
                                                              line_protocol_handler())),
                         "create: the uv_loop_t is null", creation_error);
    CHECK_THROWS_WITH_AS(static_cast<void>(uv::server::create_sock(
                             nullptr, loopback(), valid_options(), line_protocol_sock_handler())),
                         "create_sock: the uv_loop_t is null", creation_error);
    CHECK_THROWS_WITH_AS(
        static_cast<void>(uv::server::create_sock(nullptr, loopback(), valid_options(),
                                                  uv::native_handler(native_noop))),
        "create_sock: the uv_loop_t is null", creation_error);
    CHECK(count_descriptors() == before);
}

TEST_CASE("refused options name the option, the value and the rule, opening nothing") {
    test_loop loop;
    const std::size_t before = count_descriptors();
    core::options o = valid_options();
    o.max_accepts_per_batch = 0;
    CHECK_THROWS_WITH_AS(
        static_cast<void>(uv::server::create(loop.get(), loopback(), o, line_protocol_handler())),
        "max_accepts_per_batch must be at least 1 (got 0)", creation_error);
    o = valid_options();
    o.max_connections = 0;
    CHECK_THROWS_WITH_AS(static_cast<void>(uv::server::create_sock(loop.get(), loopback(), o,
                                                                   line_protocol_sock_handler())),
                         "max_connections must be at least 1 (got 0)", creation_error);
    o = valid_options();
    o.on_handler_error = core::error_policy::unset;
    CHECK_THROWS_WITH_AS(static_cast<void>(uv::server::create_sock(
                             loop.get(), loopback(), o, uv::native_handler(native_noop))),
                         "on_handler_error is required: choose raise, ignore or call",
                         creation_error);
    o = valid_options();
    o.buffer_limit_bytes = 0;
    CHECK_THROWS_WITH_AS(
        static_cast<void>(uv::server::create(loop.get(), loopback(), o, line_protocol_handler())),
        "buffer_limit_bytes must be at least 1, or unlimited (got 0)", creation_error);
    CHECK(count_descriptors() == before);
    CHECK(loop.close_loop() == 0);
}

TEST_CASE("an empty handler and call without its hook are refused, opening nothing") {
    test_loop loop;
    const std::size_t before = count_descriptors();
    CHECK_THROWS_WITH_AS(static_cast<void>(uv::server::create(
                             loop.get(), loopback(), valid_options(), reader_writer_handler{})),
                         "create: the handler is empty", creation_error);
    CHECK_THROWS_WITH_AS(static_cast<void>(uv::server::create_sock(
                             loop.get(), loopback(), valid_options(), stream_handler{})),
                         "create_sock: the handler is empty", creation_error);
    CHECK_THROWS_WITH_AS(static_cast<void>(uv::server::create_sock(
                             loop.get(), loopback(), valid_options(), uv::native_handler{})),
                         "create_sock: the handler is empty", creation_error);
    core::options o = valid_options();
    o.on_handler_error = core::error_policy::call;
    CHECK_THROWS_WITH_AS(
        static_cast<void>(uv::server::create(loop.get(), loopback(), o, line_protocol_handler())),
        "on_handler_error is call, but server_hooks::on_handler_error is not set", creation_error);
    server_hooks only_notices;
    only_notices.on_notice = [](const core::actions::notice&) {};
    CHECK_THROWS_WITH_AS(
        static_cast<void>(uv::server::create_sock(loop.get(), loopback(), o,
                                                  line_protocol_sock_handler(), only_notices)),
        "on_handler_error is call, but server_hooks::on_handler_error is not set", creation_error);
    CHECK(count_descriptors() == before);
    CHECK(loop.close_loop() == 0);
}

TEST_CASE("a port in use fails creation synchronously with listen_error, leaving nothing open") {
    test_loop loop;
    uv::server first =
        uv::server::create(loop.get(), loopback(), valid_options(), line_protocol_handler());
    const std::size_t before = count_descriptors();
    posix::listen_spec taken = posix::listen_spec::bind_to(
        posix::bind_address::localhost(), posix::bind_port::number(first.listening_on().port));
    taken.reuse_address(false);
    try {
        static_cast<void>(
            uv::server::create(loop.get(), taken, valid_options(), line_protocol_handler()));
        FAIL("a second server on a port in use must not be created");
    } catch (const listen_error& e) {
        CHECK(e.error_value() == EADDRINUSE);
        CHECK(e.operation() == "bind");
        CHECK(e.address() == "127.0.0.1:" + std::to_string(first.listening_on().port));
    }
    CHECK(count_descriptors() == before);
    first.close(false);
    CHECK(loop.close_loop() == 0);
}

}  // namespace berth::uv_test
