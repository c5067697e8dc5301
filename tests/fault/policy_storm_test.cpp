// Policy storms: every handler fails, under each error policy (SEMANTICS.md
// section 5). The counts must match what happened: every failure counted once,
// every `call` made once with the handler's own error, every `raise` propagated
// out of the loop once; no slot leaks, and under `ignore` and `call` the server
// goes on serving.
#include <stdexcept>

#include "fault_support.hpp"

namespace berth::fault {
namespace {

constexpr std::uint32_t storm_size = 200;

// Fails right after reading "now", after a sleep for anything else: a failure
// straight out of a read and one out of a timer. "ping" is echoed.
task<> failing(address peer, reader& r, writer& w) {
    const std::optional<std::string> first = co_await r.read_line();
    if (first == "ping") {
        w.write("ping\n");
        co_await serve_line_protocol(peer, r, w);
        co_return;
    }
    if (first == "now") throw std::runtime_error("storm: failed at once");
    co_await sleep_for(std::chrono::milliseconds(1));
    throw std::runtime_error("storm: failed later");
}

std::vector<std::unique_ptr<pending_client>> storm(const address& at) {
    std::vector<std::unique_ptr<pending_client>> out;
    for (std::uint32_t i = 0; i < storm_size; ++i)
        out.push_back(std::make_unique<pending_client>(at, i % 2 == 0 ? "now\n" : "later\n"));
    return out;
}

bool all_ended(const std::vector<std::unique_ptr<pending_client>>& clients) {
    return std::all_of(clients.begin(), clients.end(), [](const auto& c) { return c->ended(); });
}

core::options storm_options(core::error_policy policy) {
    core::options o = fault_options(64, 16);
    o.backlog = 256;
    o.on_handler_error = policy;
    return o;
}

void served_after_the_storm(harness& h, const address& at) {
    peer next(at);
    CHECK(round_trip(h, next, "ping") == "ping");
}

void storm_without_raise(core::error_policy policy) {
    const std::size_t before = harness::open_descriptors();
    {
        harness h;
        error_log errors;
        auto s = h.create(test::loopback(), storm_options(policy), failing, errors.hooks());
        const closes_at_exit guard(s);
        const address at = s.listening_on_address();
        auto clients = storm(at);
        CHECK(run_with_clients(
            h, clients,
            [&] {
                return all_ended(clients) && s.num_connections() == 0 &&
                       s.stats().handler_errors == storm_size &&
                       (policy != core::error_policy::call || errors.entries.size() == storm_size);
            },
            10s));
        const core::statistics& st = s.stats();
        CHECK(st.accepted == storm_size);
        CHECK(st.handlers_started == storm_size);
        CHECK(st.handler_errors == storm_size);
        CHECK(st.handler_ok == 0);
        if (policy == core::error_policy::call) {
            CHECK(errors.entries.size() == storm_size);
            std::size_t at_once = 0;
            for (const auto& e : errors.entries) {
                at_once += e.what == "storm: failed at once" ? 1U : 0U;
                CHECK((e.what == "storm: failed at once" || e.what == "storm: failed later"));
            }
            CHECK(at_once == storm_size / 2);
        } else {
            CHECK(errors.entries.empty());
        }
        CHECK_FALSE(s.is_closed());
        served_after_the_storm(h, at);
        CHECK(h.close_all(s));
        CHECK(s.invariant());
        clients.clear();
        CHECK(h.wound_down());
    }
    CHECK(harness::open_descriptors() == before);
}

TEST_CASE(
    "200 failing handlers under `ignore` are each counted once, no slot leaks, and the "
    "server goes on serving") {
    storm_without_raise(core::error_policy::ignore);
}

TEST_CASE(
    "200 failing handlers under `call` make 200 calls with the handlers' own errors, and "
    "the server goes on serving") {
    storm_without_raise(core::error_policy::call);
}

TEST_CASE(
    "200 failing handlers under `raise`: the first raise closes the server, every handler "
    "that started raises exactly once, and no client is left hanging") {
    const std::size_t before = harness::open_descriptors();
    {
        harness h;
        auto s = h.create(test::loopback(), storm_options(core::error_policy::raise), failing);
        const closes_at_exit guard(s);
        const address at = s.listening_on_address();
        auto clients = storm(at);
        std::vector<std::string> raised;
        bool finished = false;
        // Bounded: one pass per raised error, at most one per client, and the clock.
        const auto until = steady::now() + 10s;
        for (std::uint32_t pass = 0; pass <= storm_size + 1 && steady::now() < until; ++pass) {
            try {
                finished = run_with_clients(
                    h, clients,
                    [&] {
                        return s.is_closed() && all_ended(clients) && s.num_connections() == 0 &&
                               raised.size() == s.stats().handler_errors;
                    },
                    std::chrono::duration_cast<std::chrono::milliseconds>(until - steady::now()));
                break;
            } catch (const std::runtime_error& e) {
                raised.emplace_back(e.what());
            }
        }
        const core::statistics& st = s.stats();
        MESSAGE(backend_name, ": raise storm: ", st.handlers_started, " handlers started, ",
                raised.size(), " errors raised, ", st.closed_after_close,
                " accepted sockets closed after close");
        CHECK(finished);
        CHECK(s.is_closed());
        CHECK(st.handlers_started >= 1);
        CHECK(st.handler_errors == st.handlers_started);
        CHECK(raised.size() == st.handlers_started);
        for (const auto& what : raised)
            CHECK((what == "storm: failed at once" || what == "storm: failed later"));
        CHECK(s.num_connections() == 0);
        CHECK(s.invariant());
        clients.clear();
        CHECK(h.wound_down());
    }
    CHECK(harness::open_descriptors() == before);
}

}  // namespace
}  // namespace berth::fault
