// close, close_finished and handlers_finished take callbacks that never run inside
// the call that registered them, even when the operation is already complete.
#include <doctest/doctest.h>

#include "berth/line_protocol.hpp"
#include "uv_test_support.hpp"

namespace berth::uv_test {

TEST_CASE("a completion is never called from inside the function that registered it") {
    const std::size_t before = count_descriptors();
    {
        test_loop loop;
        core::options o;
        o.max_connections = 2;
        o.on_handler_error = core::error_policy::ignore;
        uv::server s =
            uv::server::create_sock(loop.get(), loopback(), o, line_protocol_sock_handler());
        int close_calls = 0;
        int finished_calls = 0;
        s.close(false, [&] { ++close_calls; });
        CHECK(close_calls == 0);
        CHECK(s.is_closed());
        CHECK(loop.run_until([&] { return close_calls == 1; }));

        // Already complete: still posted, not called.
        s.close(true, [&] { ++close_calls; });
        s.close_finished([&] { ++close_calls; });
        s.handlers_finished([&] { ++finished_calls; });
        CHECK(close_calls == 1);
        CHECK(finished_calls == 0);
        CHECK(loop.run_until([&] { return close_calls == 3 && finished_calls == 1; }));
        CHECK(loop.close_loop() == 0);
    }
    CHECK(count_descriptors() == before);
}

}  // namespace berth::uv_test
