// Shedding (SEMANTICS.md section 6) through a real (Asio) server: when accept runs
// out of descriptors, the next batch frees the reserved one, accepts each queued
// client and closes it at once (no handler, no slot), takes the reserve back, and
// the batch after it is an ordinary one.
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

#include "posix_test_support.hpp"
#include "real_server_support.hpp"

namespace berth::posix {
namespace {

// Makes the process really run out of descriptors: lowers the soft limit to just
// above the highest open descriptor and fills every free number below it. Undone
// at the end of scope.
class descriptor_exhaustion {
public:
    descriptor_exhaustion() {
        int highest = 0;
        for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
            highest = std::max(highest, std::stoi(entry.path().filename().string()));
        }
        REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
        fillers_.reserve(static_cast<std::size_t>(highest) + 1);
        rlimit lowered = saved_;
        lowered.rlim_cur = static_cast<rlim_t>(highest) + 1;
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
        for (int i = 0; i <= highest; ++i) {
            const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (fd < 0) break;
            fillers_.push_back(fd);
        }
    }
    descriptor_exhaustion(const descriptor_exhaustion&) = delete;
    descriptor_exhaustion& operator=(const descriptor_exhaustion&) = delete;
    ~descriptor_exhaustion() {
        for (const int fd : fillers_)
            ::close(fd);
        ::setrlimit(RLIMIT_NOFILE, &saved_);
    }

private:
    rlimit saved_{};
    std::vector<int> fillers_;
};

core::options shed_options() {
    core::options o = test::line_options(10, 4);
    o.on_accept_exhaustion = core::exhaustion_mode::shed;
    return o;
}

TEST_CASE("a real EMFILE makes a real server shed every queued client with one descriptor") {
    test::fd_leak_check leak_check;
    {
        test::line_server srv(shed_options());
        {
            // Serve one client first: the sanitizers' runtime checks the loop's types
            // once (UBSan's vptr check opens a pipe for its first look at a type), and
            // must not do that for the first time while descriptors are out.
            test::peer warm_up(srv.s.listening_on_address());
            REQUIRE(test::echoes(srv, warm_up, "warm up"));
        }
        REQUIRE(srv.run_until([&] { return srv.s.num_connections() == 0; }));
        auto clients = srv.queue_clients(3);
        test::wait_accept_queue(srv.s.listening_socket(), 3);
        {
            const descriptor_exhaustion full;
            REQUIRE(::open("/dev/null", O_RDONLY | O_CLOEXEC) == -1);
            // A normal batch meets the real EMFILE; the next batch sheds.
            CHECK(srv.run_until([&] { return srv.s.stats().shed == 3; }));
            CHECK(srv.s.stats().accept_errors_of(core::accept_error_class::out_of_resources) == 1);
        }
        CHECK(srv.s.stats().handlers_started == 1);  // the warm-up's only
        CHECK(srv.s.stats().accepted == 4);          // shed sockets were taken from the kernel too
        CHECK(srv.s.num_connections() == 0);
        for (auto& c : clients)
            CHECK(srv.run_until([&] { return c->ended(); }));  // a prompt close, not a hang
        // The reserve came back and the next batch is ordinary: a new client is served.
        test::peer later(srv.s.listening_on_address());
        CHECK(test::echoes(srv, later, "served after the shed"));
        CHECK(srv.s.stats().shed == 3);
        CHECK(srv.s.invariant());
        CHECK(srv.close_all());
    }
}

TEST_CASE("an injected ENFILE makes a real server shed what is queued, then serve again") {
    test::fd_leak_check leak_check;
    {
        test::line_server srv(shed_options());
        auto clients = srv.queue_clients(2);
        test::wait_accept_queue(srv.s.listening_socket(), 2);
        srv.s.inject_accept_faults(ENFILE, 1);
        CHECK(srv.run_until([&] { return srv.s.stats().shed == 2; }));
        CHECK(srv.s.stats().handlers_started == 0);
        for (auto& c : clients)
            CHECK(srv.run_until([&] { return c->ended(); }));
        test::peer later(srv.s.listening_on_address());
        CHECK(test::echoes(srv, later, "ordinary again"));
        CHECK(srv.s.stats().shed == 2);
        CHECK(srv.close_all());
    }
}

}  // namespace
}  // namespace berth::posix
