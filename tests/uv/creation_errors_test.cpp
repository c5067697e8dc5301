// SEMANTICS.md section 2: bad options and missing hooks are refused before any
// socket exists; a failed bind leaves nothing open.
#include <doctest/doctest.h>

#include "berth/posix/listen_error.hpp"
#include "berth/uv/line_protocol.hpp"
#include "berth/uv/server.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

TEST_CASE("invalid options are refused before any descriptor is opened") {
    test_loop loop;
    const int before = count_descriptors();
    core::options o;
    o.on_handler_error = core::error_policy::ignore;
    o.max_accepts_per_batch = 0;
    CHECK_THROWS_AS(
        static_cast<void>(uv::server::create(loop.get(), posix::listen_spec::of_port_chosen_by_os(),
                                             o, uv::line_protocol_handler(loop.get()))),
        uv::creation_error);
    o.max_accepts_per_batch = 1;
    o.on_handler_error = core::error_policy::unset;
    CHECK_THROWS_AS(
        static_cast<void>(uv::server::create(loop.get(), posix::listen_spec::of_port_chosen_by_os(),
                                             o, uv::line_protocol_handler(loop.get()))),
        uv::creation_error);
    o.on_handler_error = core::error_policy::call;  // without the hook
    CHECK_THROWS_AS(static_cast<void>(uv::server::create_sock(
                        loop.get(), posix::listen_spec::of_port_chosen_by_os(), o,
                        uv::line_protocol_sock_handler(loop.get()))),
                    uv::creation_error);
    CHECK(count_descriptors() == before);
    CHECK(loop.close_loop() == 0);
}

TEST_CASE("a port in use fails creation synchronously and leaves nothing open") {
    test_loop loop;
    core::options o;
    o.on_handler_error = core::error_policy::ignore;
    uv::server first = uv::server::create(loop.get(), posix::listen_spec::of_port_chosen_by_os(), o,
                                          uv::line_protocol_handler(loop.get()));
    const int before = count_descriptors();
    posix::listen_spec taken = posix::listen_spec::of_port(first.listening_on().port);
    taken.reuse_address(false);
    CHECK_THROWS_AS(static_cast<void>(uv::server::create(loop.get(), taken, o,
                                                         uv::line_protocol_handler(loop.get()))),
                    posix::listen_error);
    CHECK(count_descriptors() == before);
    first.close(false);
    CHECK(loop.close_loop() == 0);
}

}  // namespace berth::uv_test
