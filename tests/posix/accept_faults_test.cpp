// Injected accept errors reach the core as accept_failed and have the effect of
// their class: per-connection errors are skipped, EMFILE pauses, EBADF is fatal.
#include <cerrno>
#include <unistd.h>
#include <vector>

#include "berth/posix/accept_batch.hpp"
#include "berth/posix/listener.hpp"
#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

using core::accept_error_class;

struct fixture {
    test::temp_dir dir;
    listener l = listener::create(listen_spec::of_file(dir.file("s")));
    std::vector<int> clients;

    // Unix connects are queued by the time connect returns.
    void connect(int count) {
        for (int i = 0; i < count; ++i) {
            clients.push_back(test::connect_to(test::unix_address(dir.file("s"))));
        }
    }
    fixture() = default;
    fixture(const fixture&) = delete;
    fixture& operator=(const fixture&) = delete;
    ~fixture() {
        for (const int fd : clients)
            ::close(fd);
    }
};

TEST_CASE("a per-connection error is skipped and the batch goes on") {
    test::fd_leak_check leak_check;
    fixture f;
    f.connect(2);
    core::server core(test::accept_options(100, 3));
    accept_faults faults{ECONNABORTED, 1};
    accept_context context;
    context.listen_fd = f.l.fd();
    context.faults = &faults;
    const accept_batch_result r = run_accept_batch(context, core, test::begin_batch(core, 0), 0);
    CHECK(faults.pending() == 0);
    CHECK(r.failed == 1);
    CHECK(r.accepted == 2);
    CHECK(core.stats().accept_errors_of(accept_error_class::per_connection) == 1);
    const std::vector<core::action> actions = test::drain(core);
    CHECK(test::actions_of<core::actions::start_handler>(actions).size() == 2);
    test::close_sockets(core, actions, 0);
}

TEST_CASE("EMFILE ends the batch, keeps the queue, and pauses accepting") {
    test::fd_leak_check leak_check;
    fixture f;
    f.connect(1);
    core::server core(test::accept_options(100, 4));
    accept_faults faults{EMFILE, 1};
    accept_context context;
    context.listen_fd = f.l.fd();
    context.faults = &faults;
    const core::time_ns now_ns = 1'000'000'000;
    const accept_batch_result r =
        run_accept_batch(context, core, test::begin_batch(core, now_ns), now_ns);
    CHECK(r.accepted == 0);
    CHECK(r.failed == 1);
    CHECK(core.stats().accept_errors_of(accept_error_class::out_of_resources) == 1);
    CHECK(core.stats().back_off_pauses == 1);
    CHECK(core.back_off_until_ns() == now_ns + core::back_off_initial_ns);
    const std::vector<core::action> actions = test::drain(core);
    CHECK(test::actions_of<core::actions::notice>(actions).size() == 1);
    CHECK(core.accept_step() == core::accept_phase::idle);

    // After the pause the queued client is still there and is served.
    REQUIRE(core.handle(core::events::timer_fired{}, now_ns + core::back_off_initial_ns) ==
            core::event_error::none);
    const accept_batch_result later =
        run_accept_batch(context, core, test::begin_batch(core, now_ns + core::back_off_initial_ns),
                         now_ns + core::back_off_initial_ns);
    CHECK(later.accepted == 1);
    test::close_sockets(core, test::drain(core), now_ns + core::back_off_initial_ns);
}

TEST_CASE("EBADF is fatal: the core stops accepting and asks to raise it") {
    test::fd_leak_check leak_check;
    fixture f;
    f.connect(1);
    core::server core(test::accept_options(100, 4));
    accept_faults faults{EBADF, 1};
    accept_context context;
    context.listen_fd = f.l.fd();
    context.faults = &faults;
    const accept_batch_result r = run_accept_batch(context, core, test::begin_batch(core, 0), 0);
    CHECK(r.accepted == 0);
    CHECK(r.last_error_value == EBADF);
    CHECK(core.stats().accept_errors_of(accept_error_class::fatal) == 1);
    const std::vector<core::action> actions = test::drain(core);
    const auto raises = test::actions_of<core::actions::raise_accept_error>(actions);
    REQUIRE(raises.size() == 1);
    CHECK(raises[0].error_value == EBADF);
    CHECK(test::actions_of<core::actions::close_listener>(actions).size() == 1);
    CHECK(core.is_closed());
}

TEST_CASE("faults are consumed one per attempt, then accept4 runs again") {
    test::fd_leak_check leak_check;
    fixture f;
    f.connect(1);
    core::server core(test::accept_options(100, 2));
    accept_faults faults{EPROTO, 5};
    accept_context context;
    context.listen_fd = f.l.fd();
    context.faults = &faults;
    // Two attempts in this batch, both injected: the client is not touched.
    const accept_batch_result r = run_accept_batch(context, core, test::begin_batch(core, 0), 0);
    CHECK(r.failed == 2);
    CHECK(faults.pending() == 3);
    static_cast<void>(test::drain(core));
    faults.clear();
    CHECK(run_accept_batch(context, core, test::begin_batch(core, 0), 0).accepted == 1);
    test::close_sockets(core, test::drain(core), 0);
}

TEST_CASE("queued faults come out in the order they were pushed, and a full queue says so") {
    accept_faults faults;
    CHECK(faults.push(ECONNABORTED, 2));
    CHECK(faults.push(EMFILE, 1));
    CHECK(faults.push(EMFILE, 1));  // joins the run before it
    CHECK(faults.push(ECONNABORTED, 1));
    CHECK(faults.pending() == 5);
    for (const int expected : {ECONNABORTED, ECONNABORTED, EMFILE, EMFILE, ECONNABORTED}) {
        CHECK(faults.pop() == expected);
    }
    CHECK(faults.pending() == 0);

    for (std::uint32_t i = 0; i < accept_faults::runs_max; ++i) {
        REQUIRE(faults.push(i % 2 == 0 ? EPROTO : EPERM, 1));
    }
    CHECK_FALSE(faults.push(ENOBUFS, 1));
    CHECK(faults.pending() == accept_faults::runs_max);
}

}  // namespace
}  // namespace berth::posix
