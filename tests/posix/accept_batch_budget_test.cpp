// An accept batch takes at most its budget, ends when the kernel has no more
// (EAGAIN), and hands each peer's address to the backend.
#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include "berth/posix/accept_batch.hpp"
#include "berth/posix/listener.hpp"
#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

using core::accept_error_class;

struct loopback_server {
    listener l = listener::create(
        listen_spec::bind_to(bind_address::localhost(), bind_port::chosen_by_os()));
    std::vector<int> clients;

    void connect(std::uint32_t count) {
        for (std::uint32_t i = 0; i < count; ++i) {
            clients.push_back(test::connect_to(test::loopback_v4(l.listening_on().port)));
        }
        test::wait_accept_queue(l.fd(), static_cast<std::uint32_t>(clients.size()));
    }
    loopback_server() = default;
    loopback_server(const loopback_server&) = delete;
    loopback_server& operator=(const loopback_server&) = delete;
    ~loopback_server() {
        for (const int fd : clients)
            ::close(fd);
    }
};

struct peer_record {
    int fds[8] = {};
    socket_address peers[8];
    int count = 0;
};

void record_peer(void* context, int fd, const socket_address& peer) {
    auto* record = static_cast<peer_record*>(context);
    REQUIRE(record->count < 8);
    record->fds[record->count] = fd;
    record->peers[record->count] = peer;
    ++record->count;
}

TEST_CASE("a batch accepts at most its budget and leaves the rest queued") {
    test::fd_leak_check leak_check;
    loopback_server server;
    server.connect(5);
    core::server core(test::accept_options(100, 3));
    accept_context context;
    context.listen_fd = server.l.fd();

    const core::actions::accept_batch first = test::begin_batch(core, 0);
    CHECK(first.max_sockets == 3);
    const accept_batch_result r1 = run_accept_batch(context, core, first, 0);
    CHECK(r1.accepted == 3);
    CHECK(r1.failed == 0);
    std::vector<core::action> actions = test::drain(core);
    CHECK(test::actions_of<core::actions::start_handler>(actions).size() == 3);
    CHECK(core.num_connections() == 3);
    test::close_sockets(core, actions, 0);

    // The two left in the queue come with the next batch, which then finds the
    // queue empty: EAGAIN ends it.
    const core::actions::accept_batch second = test::begin_batch(core, 0);
    const accept_batch_result r2 = run_accept_batch(context, core, second, 0);
    CHECK(r2.accepted == 2);
    CHECK(r2.failed == 1);
    CHECK(r2.last_error_value == EAGAIN);
    CHECK(core.stats().accept_errors_of(accept_error_class::nothing_there) == 1);
    actions = test::drain(core);
    CHECK(test::actions_of<core::actions::start_handler>(actions).size() == 2);
    test::close_sockets(core, actions, 0);
    CHECK(core.stats().accepted == 5);
    CHECK(core.invariant());
}

TEST_CASE("EAGAIN on an empty queue ends the batch at once") {
    test::fd_leak_check leak_check;
    loopback_server server;
    core::server core(test::accept_options(100, 8));
    accept_context context;
    context.listen_fd = server.l.fd();
    const accept_batch_result r = run_accept_batch(context, core, test::begin_batch(core, 0), 0);
    CHECK(r.accepted == 0);
    CHECK(r.failed == 1);
    CHECK(r.last_error_value == EAGAIN);
    CHECK(core.accept_step() == core::accept_phase::idle);
    CHECK(test::drain(core).size() == 1);  // wait_readable again
    CHECK(core.accept_step() == core::accept_phase::waiting_readable);
}

TEST_CASE("the budget is never more than the free slots") {
    test::fd_leak_check leak_check;
    loopback_server server;
    server.connect(3);
    core::server core(test::accept_options(2, 8));
    accept_context context;
    context.listen_fd = server.l.fd();
    const core::actions::accept_batch batch = test::begin_batch(core, 0);
    CHECK(batch.max_sockets == 2);
    CHECK(run_accept_batch(context, core, batch, 0).accepted == 2);
    test::close_sockets(core, test::drain(core), 0);
    // The third client is served once slots are free again.
    CHECK(run_accept_batch(context, core, test::begin_batch(core, 0), 0).accepted == 1);
    test::close_sockets(core, test::drain(core), 0);
}

TEST_CASE("the backend learns each accepted socket's peer address") {
    test::fd_leak_check leak_check;
    loopback_server server;
    server.connect(2);
    core::server core(test::accept_options(100, 4));
    peer_record record;
    accept_context context;
    context.listen_fd = server.l.fd();
    context.sink = peer_sink{&record, record_peer};
    static_cast<void>(run_accept_batch(context, core, test::begin_batch(core, 0), 0));
    const std::vector<core::action> actions = test::drain(core);
    const auto starts = test::actions_of<core::actions::start_handler>(actions);
    REQUIRE(record.count == 2);
    REQUIRE(starts.size() == 2);
    for (int i = 0; i < 2; ++i) {
        sockaddr_storage storage{};
        socklen_t length = sizeof(storage);
        REQUIRE(::getsockname(server.clients[static_cast<std::size_t>(i)],
                              reinterpret_cast<sockaddr*>(&storage), &length) == 0);
        const socket_address client(reinterpret_cast<const sockaddr*>(&storage), length);
        CHECK(record.peers[i].to_string() == client.to_string());
        CHECK(static_cast<core::socket_handle>(record.fds[i]) ==
              starts[static_cast<std::size_t>(i)].socket);
    }
    test::close_sockets(core, actions, 0);
}

}  // namespace
}  // namespace berth::posix
