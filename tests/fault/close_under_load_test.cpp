// Close under load (SEMANTICS.md section 8): 40 live connections and a stream of
// new clients arriving while close is called, in each of its forms: close(false),
// close(true) and close_with_drain. No handler may start after close returned,
// both completions fire, every client is answered or closed (none hangs), and the
// process's descriptors return to their count before the server.
#include "fault_support.hpp"

namespace berth::fault {
namespace {

constexpr std::uint32_t live = 40;
constexpr std::uint32_t newcomers_max = 400;
constexpr auto drain_timeout = 300ms;

enum class close_form { keep_connections, close_connections, drain };

bool echo_of(pending_client& c, const std::string& line) {
    return c.received() == line + "\n";
}

void close_under_load(close_form form) {
    const std::size_t before = harness::open_descriptors();
    {
        harness h;
        // Room for everyone: the server is never at its limit, so close meets handlers
        // starting and sockets being accepted.
        core::options o = fault_options(live + newcomers_max, 16);
        o.backlog = 512;
        error_log errors;
        server_hooks hooks = errors.hooks();
        std::uint32_t drain_notices = 0;
        hooks.on_notice = [&](const core::actions::notice& n) {
            if (n.kind == core::notice_kind::drain_deadline_reached) ++drain_notices;
        };
        std::uint32_t handler_calls = 0;
        auto s = h.create(
            test::loopback(), o,
            [&](address p, reader& r, writer& w) {
                ++handler_calls;
                return serve_line_protocol(p, r, w);
            },
            std::move(hooks));
        const closes_at_exit guard(s);
        const address at = s.listening_on_address();

        std::vector<std::unique_ptr<pending_client>> old;
        for (std::uint32_t i = 0; i < live; ++i)
            old.push_back(std::make_unique<pending_client>(at, "hi\n"));
        CHECK(run_with_clients(
            h, old,
            [&] {
                return std::all_of(old.begin(), old.end(),
                                   [](const auto& c) { return echo_of(*c, "hi"); });
            },
            5s));

        // New clients keep coming, one per turn of the loop, half of them before close
        // and half after.
        std::vector<std::unique_ptr<pending_client>> newcomers;
        const auto stream_for = [&](std::chrono::milliseconds how_long, std::size_t up_to) {
            static_cast<void>(run_with_clients(
                h, newcomers,
                [&] {
                    if (newcomers.size() < up_to)
                        newcomers.push_back(std::make_unique<pending_client>(at, "new\n"));
                    return false;
                },
                how_long));
        };
        stream_for(100ms, newcomers_max / 2);
        const std::size_t newcomers_before_close = newcomers.size();

        bool closed = false;
        bool finished = false;
        steady::time_point finished_at{};
        switch (form) {
            case close_form::keep_connections: s.close(false, [&] { closed = true; }); break;
            case close_form::close_connections: s.close(true, [&] { closed = true; }); break;
            case close_form::drain:
                s.close_with_drain(drain_timeout, [&] { closed = true; });
                break;
        }
        s.handlers_finished([&] {
            finished = true;
            finished_at = steady::now();
        });
        const std::uint32_t calls_at_close = handler_calls;
        const std::uint64_t started_at_close = s.stats().handlers_started;
        const auto closed_at = steady::now();
        stream_for(100ms, newcomers_max);  // connects now find the listener closed
        const std::size_t newcomer_count = newcomers.size();
        CHECK(closed);

        if (form == close_form::keep_connections) {
            // The connections present go on being served until their clients leave.
            for (auto& c : old)
                CHECK(::send(c->fd(), "more\n", 5, MSG_NOSIGNAL) == 5);
            CHECK(run_with_clients(
                h, old,
                [&] {
                    return std::all_of(old.begin(), old.end(),
                                       [](const auto& c) { return echo_of(*c, "hi\nmore"); });
                },
                5s));
            CHECK_FALSE(finished);
            old.clear();
        }
        std::vector<std::unique_ptr<pending_client>> everyone;
        for (auto& c : old)
            everyone.push_back(std::move(c));
        for (auto& c : newcomers)
            everyone.push_back(std::move(c));
        // Every client left is closed by the server (close(true), the drain's deadline)
        // or by itself (a newcomer that was served leaves once answered).
        CHECK(run_with_clients(
            h, everyone,
            [&] {
                for (auto& c : everyone) {
                    if (!c->ended() && echo_of(*c, "new")) c->close();
                }
                return finished && std::all_of(everyone.begin(), everyone.end(), [](const auto& c) {
                           return c->ended() || c->fd() < 0;
                       });
            },
            10s));
        const auto finished_after =
            std::chrono::duration_cast<std::chrono::milliseconds>(finished_at - closed_at);
        std::uint32_t refused = 0;
        std::uint32_t newcomers_served = 0;
        for (const auto& c : everyone) {
            refused += c->connect_error() != 0 ? 1U : 0U;
            newcomers_served += echo_of(*c, "new") ? 1U : 0U;
        }
        MESSAGE(backend_name, ": close under load (form ", static_cast<int>(form),
                "): ", calls_at_close, " handlers before close, ", newcomer_count, " newcomers (",
                newcomers_before_close, " before close) of which ", newcomers_served,
                " served and ", refused, " refused; handlers_finished ", finished_after.count(),
                " ms after close");
        CHECK(closed);
        CHECK(finished);
        CHECK(handler_calls == calls_at_close);  // none started after close returned
        CHECK(s.stats().handlers_started == started_at_close);
        CHECK(s.stats().handlers_started == handler_calls);
        CHECK(s.num_connections() == 0);
        CHECK(s.stats().handler_errors == 0);
        CHECK(errors.entries.empty());
        if (form == close_form::drain) {
            CHECK(drain_notices == 1);
            CHECK(finished_after >= drain_timeout / 2);
        } else {
            CHECK(drain_notices == 0);
        }
        CHECK(s.invariant());
        everyone.clear();
        CHECK(h.wound_down());
    }
    CHECK(harness::open_descriptors() == before);
}

TEST_CASE(
    "close(false) under load: no handler starts after it returns, live connections are "
    "served until they leave, both completions fire, no descriptor is left") {
    close_under_load(close_form::keep_connections);
}

TEST_CASE(
    "close(true) under load: no handler starts after it returns, every connection is "
    "closed, both completions fire, no descriptor is left") {
    close_under_load(close_form::close_connections);
}

TEST_CASE(
    "close_with_drain under load: no handler starts after it returns, connections are "
    "closed at the deadline with one notice, both completions fire, no descriptor is left") {
    close_under_load(close_form::drain);
}

}  // namespace
}  // namespace berth::fault
