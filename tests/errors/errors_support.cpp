#include "errors_support.hpp"

#include <chrono>
#include <sys/socket.h>
#include <type_traits>
#include <unistd.h>
#include <utility>

#include <doctest/doctest.h>

#include "berth/line_protocol.hpp"
#include "posix_test_support.hpp"
#ifdef BERTH_ERRORS_HAVE_ASIO
#include <boost/asio/io_context.hpp>

#include "berth/asio/server.hpp"
#endif
#ifdef BERTH_ERRORS_HAVE_UV
#include "berth/uv/server.hpp"
#include "uv_test_support.hpp"
#endif

// The "every backend" rows loop over backends(): with neither real backend they would
// pass without checking anything. CMakeLists.txt builds these tests only with
// berth::posix, which comes with Asio or libuv; this keeps it so.
#if !defined(BERTH_ERRORS_HAVE_ASIO) && !defined(BERTH_ERRORS_HAVE_UV)
#error "tests/errors needs a real backend (Asio or libuv): its rows would check nothing"
#endif

namespace berth::errors_test {

namespace {

reader_writer_handler handler_of(const creation& c) {
    return c.with_handler ? line_protocol_handler() : reader_writer_handler{};
}

stream_handler sock_handler_of(const creation& c) {
    return c.with_handler ? line_protocol_sock_handler() : stream_handler{};
}

// The server `c` describes: `make` is called with the handler of c's form (empty
// when c says so) and calls the backend's create or create_sock.
template <typename Native, typename Make>
auto create_in_form(const creation& c, const Native& native, const Make& make) {
    switch (c.form) {
        case form::create_sock: return make(sock_handler_of(c));
        case form::native: return make(c.with_handler ? native : Native{});
        case form::create: break;
    }
    return make(handler_of(c));
}

}  // namespace

std::vector<backend> backends() {
    std::vector<backend> out;
#ifdef BERTH_ERRORS_HAVE_ASIO
    out.push_back(backend{
        "asio",
        [](const creation& c) {
            boost::asio::io_context ctx;
            const asio::native_handler native =
                [](address, asio::socket&) -> boost::asio::awaitable<void> { co_return; };
            asio::server s = create_in_form(c, native, [&](auto handler) {
                if constexpr (std::is_same_v<decltype(handler), reader_writer_handler>) {
                    return asio::server::create(ctx, c.spec, c.opts, std::move(handler), c.hooks);
                } else {
                    return asio::server::create_sock(ctx, c.spec, c.opts, std::move(handler),
                                                     c.hooks);
                }
            });
            bool closed = false;
            s.close(true, [&] { closed = true; });
            const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
            while (!closed && std::chrono::steady_clock::now() < until) {
                static_cast<void>(ctx.run_one_for(std::chrono::milliseconds(1)));
            }
        },
        [] { return posix::test::open_fd_count(); }});
#endif
#ifdef BERTH_ERRORS_HAVE_UV
    out.push_back(
        backend{"uv",
                [](const creation& c) {
                    uv_test::test_loop loop;
                    const uv::native_handler native = [](const address&, uv_stream_t*,
                                                         uv::completion done) { done.finish(); };
                    uv::server s = create_in_form(c, native, [&](auto handler) {
                        if constexpr (std::is_same_v<decltype(handler), reader_writer_handler>) {
                            return uv::server::create(loop.get(), c.spec, c.opts,
                                                      std::move(handler), c.hooks);
                        } else {
                            return uv::server::create_sock(loop.get(), c.spec, c.opts,
                                                           std::move(handler), c.hooks);
                        }
                    });
                    static_cast<void>(uv_test::close_all(loop, s));
                    CHECK(loop.close_loop() == 0);
                },
                [] { return uv_test::count_descriptors(); }});
#endif
    return out;
}

core::options good_options() {
    core::options o;
    o.max_connections = 4;
    o.on_handler_error = core::error_policy::ignore;
    return o;
}

std::vector<option_row> option_rows() {
    const auto with = [](auto change) {
        core::options o = good_options();
        change(o);
        return o;
    };
    return {
        {"max_connections", with([](core::options& o) { o.max_connections = 0; }),
         "max_connections must be at least 1 (got 0)"},
        {"max_connections",
         with([](core::options& o) { o.max_connections = core::max_connections_limit + 1; }),
         "max_connections must be at most 16777216 (got 16777217)"},
        {"max_accepts_per_batch", with([](core::options& o) { o.max_accepts_per_batch = 0; }),
         "max_accepts_per_batch must be at least 1 (got 0)"},
        {"max_accepts_per_batch", with([](core::options& o) {
             o.max_accepts_per_batch = core::max_accepts_per_batch_limit + 1;
         }),
         "max_accepts_per_batch must be at most 4096 (got 4097)"},
        {"backlog", with([](core::options& o) { o.backlog = -1; }),
         "backlog must be at least 0 (got -1)"},
        {"backlog", with([](core::options& o) { o.backlog = core::backlog_limit + 1; }),
         "backlog must be at most 1048576 (got 1048577)"},
        {"on_handler_error",
         with([](core::options& o) { o.on_handler_error = core::error_policy::unset; }),
         "on_handler_error is required: choose raise, ignore or call"},
        {"buffer_age_limit", with([](core::options& o) { o.buffer_age_limit_ns = 0; }),
         "buffer_age_limit must be positive and at most 24 hours, or unlimited (got 0 ns)"},
        {"buffer_age_limit",
         with([](core::options& o) { o.buffer_age_limit_ns = core::buffer_age_limit_max_ns + 1; }),
         "buffer_age_limit must be positive and at most 24 hours, or unlimited (got "
         "86400000000001 ns)"},
        {"buffer_limit_bytes", with([](core::options& o) { o.buffer_limit_bytes = 0; }),
         "buffer_limit_bytes must be at least 1, or unlimited (got 0)"},
        {"final_flush_timeout", with([](core::options& o) { o.final_flush_timeout_ns = -1; }),
         "final_flush_timeout must be between 0 and 1 hour (got -1 ns)"},
        {"final_flush_timeout", with([](core::options& o) {
             o.final_flush_timeout_ns = core::final_flush_timeout_max_ns + 1;
         }),
         "final_flush_timeout must be between 0 and 1 hour (got 3600000000001 ns)"},
    };
}

int unbound_tcp_socket() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    return fd;
}

int listening_tcp_socket() {
    const int fd = unbound_tcp_socket();
    const posix::socket_address address = posix::test::loopback_v4(0);
    REQUIRE(::bind(fd, address.data(), address.length()) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    return fd;
}

}  // namespace berth::errors_test
