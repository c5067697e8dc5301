// Backlog overflow: the server is at max_connections (and, in the second case, in
// drop mode as well) while more clients arrive than the listen queue holds. The
// kernel queues what the backlog allows and drops the other handshakes, which TCP
// retries by itself. Once the slots free (and drop mode ends), every client must
// be served: none is lost, none is dropped, because a full server does not accept
// (SEMANTICS.md section 4, rule 4), even in drop mode.
#include "fault_support.hpp"

namespace berth::fault {
namespace {

constexpr std::uint32_t slots = 2;
constexpr std::uint32_t waiting = 20;

void every_queued_client_is_served(bool drop_mode) {
    const std::size_t before = harness::open_descriptors();
    {
        harness h;
        core::options o = fault_options(slots);
        o.backlog = 4;
        error_log errors;
        auto s = h.create(test::loopback(), o, line_protocol_handler(), errors.hooks());
        const closes_at_exit guard(s);
        const address at = s.listening_on_address();
        std::vector<std::unique_ptr<peer>> holders;
        for (std::uint32_t i = 0; i < slots; ++i)
            holders.push_back(std::make_unique<peer>(at));
        CHECK(h.run_until([&] { return s.num_connections() == slots; }, 2s));
        if (drop_mode) s.set_drop_incoming_connections(true);

        std::vector<std::unique_ptr<pending_client>> clients;
        for (std::uint32_t i = 0; i < waiting; ++i)
            clients.push_back(std::make_unique<pending_client>(at, "hello\nquit\n"));
        // At the limit: nothing is accepted, nothing dropped, the queue overflows.
        static_cast<void>(run_with_clients(
            h, clients, [] { return false; }, 500ms));
        const std::uint32_t queued = accept_queue_length(s.listening_socket());
        std::uint32_t connected = 0;
        for (const auto& c : clients)
            connected += c->connected() ? 1U : 0U;
        CAPTURE(queued);
        CAPTURE(connected);
        CHECK(queued <= static_cast<std::uint32_t>(o.backlog) + 1);
        CHECK(connected < waiting);  // the rest wait for TCP to retry their handshake
        CHECK(s.num_connections() == slots);
        CHECK(s.stats().accepted == slots);
        CHECK(s.stats().dropped == 0);
        for (const auto& c : clients)
            CHECK(c->received().empty());

        if (drop_mode) s.set_drop_incoming_connections(false);
        holders.clear();
        const auto t0 = steady::now();
        const auto all_served = [&] {
            return std::all_of(clients.begin(), clients.end(), [](const auto& c) {
                return c->ended() && c->received() == "hello\nbye\n";
            });
        };
        // TCP retries a dropped handshake after 1 s, 3 s, 7 s, ...: a generous bound.
        CHECK(run_with_clients(h, clients, all_served, 30s));
        std::uint32_t served = 0;
        for (const auto& c : clients)
            served += c->received() == "hello\nbye\n" ? 1U : 0U;
        MESSAGE(backend_name,
                std::string(drop_mode ? ": at the limit in drop mode, " : ": at the limit, "),
                waiting, " clients against a backlog of ", o.backlog, ": ", queued, " queued, ",
                connected, " connected while full; ", served, " served within ",
                std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0).count(),
                " ms of the slots freeing");
        CHECK(served == waiting);
        CHECK(h.run_until([&] { return s.num_connections() == 0; }, 2s));
        const core::statistics& st = s.stats();
        CHECK(st.accepted == slots + waiting);
        CHECK(st.handlers_started == slots + waiting);
        CHECK(st.handler_ok == slots + waiting);
        CHECK(st.dropped == 0);
        CHECK(errors.entries.empty());
        CHECK(h.close_all(s));
        CHECK(s.invariant());
        clients.clear();
        CHECK(h.wound_down());
    }
    CHECK(harness::open_descriptors() == before);
}

TEST_CASE("clients beyond the backlog of a server at its limit are all served once slots free") {
    every_queued_client_is_served(false);
}

TEST_CASE(
    "clients beyond the backlog of a full server in drop mode are not dropped, and all "
    "are served once drop mode ends and slots free") {
    every_queued_client_is_served(true);
}

}  // namespace
}  // namespace berth::fault
