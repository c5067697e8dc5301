// Clients killed mid-request: child processes connect, send a line and half of the
// next, and are killed with SIGKILL while their handlers wait for the rest. The
// kernel closes their sockets; the server must free every slot within a bounded
// time, count each as a normal end, and serve the next client.
#include "fault_support.hpp"

namespace berth::fault {
namespace {

constexpr int victims = 20;

// The child: nothing of the parent's but the pipe it reports on (the listener, the
// loop's descriptors and other connections would outlive the kill otherwise),
// then a connection with a request and a half, then it waits to be killed.
[[noreturn]] void victim(const address& at, int ready) {
    for (int fd = 3; fd < 1024; ++fd) {
        if (fd != ready) ::close(fd);
    }
    const posix::socket_address sa(at);
    const int fd = ::socket(sa.family(), SOCK_STREAM, 0);
    if (fd < 0 || ::connect(fd, sa.data(), sa.length()) != 0) ::_exit(2);
    const char request[] = "hello\nhal";
    if (::send(fd, request, sizeof(request) - 1, MSG_NOSIGNAL) != sizeof(request) - 1) ::_exit(3);
    // The echo of the whole line says the handler runs and now waits for the half.
    char echo[6];
    if (::recv(fd, echo, sizeof(echo), MSG_WAITALL) != sizeof(echo)) ::_exit(4);
    if (::write(ready, "r", 1) != 1) ::_exit(5);
    for (;;)
        ::pause();
}

TEST_CASE(
    "clients SIGKILLed mid-request free their slots within a bounded time and the next "
    "client is served") {
    const std::size_t before = harness::open_descriptors();
    {
        harness h;
        error_log errors;
        auto s =
            h.create(test::loopback(), fault_options(64), line_protocol_handler(), errors.hooks());
        const closes_at_exit guard(s);
        const address at = s.listening_on_address();
        int ready[2];
        REQUIRE(::pipe2(ready, O_CLOEXEC | O_NONBLOCK) == 0);
        std::vector<pid_t> children;
        for (int i = 0; i < victims; ++i) {
            const pid_t pid = ::fork();
            REQUIRE(pid >= 0);
            if (pid == 0) victim(at, ready[1]);
            children.push_back(pid);
        }
        int ready_count = 0;
        CHECK(h.run_until(
            [&] {
                char buffer[64];
                const ssize_t n = ::read(ready[0], buffer, sizeof(buffer));
                if (n > 0) ready_count += static_cast<int>(n);
                return ready_count == victims;
            },
            10s));
        CHECK(s.num_connections() == victims);

        for (const pid_t pid : children)
            CHECK(::kill(pid, SIGKILL) == 0);
        for (const pid_t pid : children) {
            int status = 0;
            CHECK(::waitpid(pid, &status, 0) == pid);
            CHECK(WIFSIGNALED(status));
        }
        ::close(ready[0]);
        ::close(ready[1]);
        const auto t0 = steady::now();
        CHECK(h.run_until([&] { return s.num_connections() == 0; }, 5s));
        MESSAGE(backend_name, ": ", victims, " killed clients' slots free after ",
                std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0).count(),
                " ms");
        CHECK(s.stats().handler_ok == victims);
        CHECK(s.stats().handler_errors == 0);
        CHECK(errors.entries.empty());

        peer next(at);
        CHECK(round_trip(h, next, "next") == "next");
        CHECK(h.close_all(s));
        CHECK(s.invariant());
        next.close();
        CHECK(h.wound_down());
    }
    CHECK(harness::open_descriptors() == before);
}

}  // namespace
}  // namespace berth::fault
