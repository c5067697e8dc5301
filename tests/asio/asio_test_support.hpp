// What the Asio backend's tests share: running an io_context until a condition
// holds (bounded), until run() throws, and the harness the portable scenarios
// (tests/posix/portable_scenarios.hpp) run on.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include <boost/asio/io_context.hpp>
#include <doctest/doctest.h>

#include "berth/asio/server.hpp"
#include "loopback_peer.hpp"

namespace berth::asio_test {

using test::open_descriptors;
using test::peer;

/// Runs `ctx` until `condition` holds or `bound` passes (a bound, not a timing).
/// An exception out of run() propagates.
inline bool run_until(boost::asio::io_context& ctx, const std::function<bool()>& condition,
                      std::chrono::milliseconds bound = std::chrono::seconds(2)) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (!condition()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        if (ctx.stopped()) ctx.restart();
        static_cast<void>(ctx.run_one_for(std::chrono::milliseconds(1)));
    }
    return true;
}

/// Runs `ctx` until run() throws; the exception's message, or empty if nothing was
/// thrown within `bound`.
inline std::string run_until_thrown(boost::asio::io_context& ctx,
                                    std::chrono::milliseconds bound = std::chrono::seconds(2)) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    while (std::chrono::steady_clock::now() < deadline) {
        try {
            if (ctx.stopped()) ctx.restart();
            static_cast<void>(ctx.run_one_for(std::chrono::milliseconds(1)));
        } catch (const std::exception& e) {
            return e.what();
        }
    }
    return {};
}

/// Whether `ctx` runs out of work within a second: a closed server holds none.
inline bool runs_out_of_work(boost::asio::io_context& ctx) {
    ctx.restart();
    static_cast<void>(ctx.run_for(std::chrono::seconds(1)));
    return ctx.stopped();
}

/// close(true), then runs until handlers_finished; whether both completed in time.
inline bool close_all(boost::asio::io_context& ctx, asio::server& s) {
    bool closed = false;
    bool finished = false;
    s.close(true, [&] { closed = true; });
    s.handlers_finished([&] { finished = true; });
    return run_until(ctx, [&] { return closed && finished; });
}

inline posix::listen_spec loopback() {
    return posix::listen_spec::bind_to(posix::bind_address::localhost(),
                                       posix::bind_port::chosen_by_os());
}

/// The harness of tests/posix/portable_scenarios.hpp on Asio.
class harness {
public:
    using server_type = asio::server;

    static std::size_t open_descriptors() { return test::open_descriptors(); }

    asio::server create(const posix::listen_spec& spec, core::options o, reader_writer_handler h,
                        server_hooks hooks = {}) {
        return asio::server::create(ctx, spec, o, std::move(h), std::move(hooks));
    }
    asio::server create_sock(const posix::listen_spec& spec, core::options o, stream_handler h,
                             server_hooks hooks = {}) {
        return asio::server::create_sock(ctx, spec, o, std::move(h), std::move(hooks));
    }
    bool run_until(const std::function<bool()>& condition, std::chrono::milliseconds bound) {
        return asio_test::run_until(ctx, condition, bound);
    }
    bool close_all(asio::server& s) { return asio_test::close_all(ctx, s); }
    bool wound_down() { return runs_out_of_work(ctx); }

    boost::asio::io_context ctx;
};

}  // namespace berth::asio_test
