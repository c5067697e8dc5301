// Shedding (SEMANTICS.md section 6): when the process is out of descriptors, a
// shed batch frees the reserved one, accepts each queued client and closes it at
// once, and takes the reserve back after the batch.
#include <cerrno>
#include <dirent.h>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

#include "berth/posix/accept_batch.hpp"
#include "berth/posix/close_socket.hpp"
#include "berth/posix/descriptor_reserve.hpp"
#include "berth/posix/listener.hpp"
#include "posix_test_support.hpp"

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
    core::options opts = test::accept_options(10, 4);
    opts.on_accept_exhaustion = core::exhaustion_mode::shed;
    return opts;
}

TEST_CASE("a shed batch uses one reserved descriptor to close every queued client") {
    test::fd_leak_check leak_check;
    const std::string name = test::unique_abstract_name("shed");
    const listener l = listener::create(listen_spec::of_abstract_name(name));
    std::vector<int> clients;
    for (int i = 0; i < 3; ++i)
        clients.push_back(test::connect_to(test::unix_address("@" + name)));
    core::server core(shed_options());
    descriptor_reserve reserve;
    REQUIRE(reserve.is_held());
    accept_context context;
    context.listen_fd = l.fd();
    context.reserve = &reserve;
    {
        const descriptor_exhaustion full;
        REQUIRE(::open("/dev/null", O_RDONLY | O_CLOEXEC) == -1);

        // A normal batch meets the real EMFILE; the core asks to shed next.
        const core::actions::accept_batch normal = test::begin_batch(core, 0);
        CHECK_FALSE(normal.shed);
        const accept_batch_result r1 = run_accept_batch(context, core, normal, 0);
        CHECK(r1.accepted == 0);
        CHECK(r1.last_error_value == EMFILE);

        // The shed batch frees the reserve and closes each client as it takes it,
        // so the same descriptor number serves all three; then the queue is empty.
        const core::actions::accept_batch shed = test::begin_batch(core, 0);
        CHECK(shed.shed);
        const accept_batch_result r2 = run_accept_batch(context, core, shed, 0);
        CHECK(r2.accepted == 3);
        CHECK(r2.last_error_value == EAGAIN);
        CHECK(reserve.is_held());  // restored after the batch
        const std::vector<core::action> actions = test::drain(core);
        CHECK(test::actions_of<core::actions::close_dropped_socket>(actions).empty());
        CHECK(test::actions_of<core::actions::start_handler>(actions).empty());
    }
    CHECK(core.stats().shed == 3);
    CHECK(core.num_connections() == 0);
    for (const int client : clients) {
        CHECK(test::peer_closed(client));
        ::close(client);
    }
}

TEST_CASE("a shed batch restores the reserve at once when descriptors are not short") {
    test::fd_leak_check leak_check;
    const std::string name = test::unique_abstract_name("shed-injected");
    const listener l = listener::create(listen_spec::of_abstract_name(name));
    const int client = test::connect_to(test::unix_address("@" + name));
    core::server core(shed_options());
    descriptor_reserve reserve;
    accept_faults faults{ENFILE, 1};
    accept_context context;
    context.listen_fd = l.fd();
    context.reserve = &reserve;
    context.faults = &faults;
    static_cast<void>(run_accept_batch(context, core, test::begin_batch(core, 0), 0));
    const core::actions::accept_batch shed = test::begin_batch(core, 0);
    REQUIRE(shed.shed);
    const accept_batch_result r = run_accept_batch(context, core, shed, 0);
    CHECK(r.accepted == 1);
    CHECK(reserve.is_held());
    const std::vector<core::action> actions = test::drain(core);
    test::close_sockets(core, actions, 0);
    CHECK(core.stats().shed == 1);
    CHECK(test::peer_closed(client));
    ::close(client);
}

}  // namespace
}  // namespace berth::posix
