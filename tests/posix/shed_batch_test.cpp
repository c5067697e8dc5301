// Shedding (SEMANTICS.md section 6): when the process is out of descriptors, a
// shed batch frees the reserved one, accepts a queued client and closes it, and
// the reserve comes back when that socket is closed.
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

TEST_CASE("a shed batch uses the reserved descriptor to accept and close a queued client") {
    test::fd_leak_check leak_check;
    const std::string name = test::unique_abstract_name("shed");
    const listener l = listener::create(listen_spec::of_abstract_name(name));
    const int client = test::connect_to(test::unix_address("@" + name));
    core::server core(shed_options());
    descriptor_reserve reserve;
    REQUIRE(reserve.is_held());
    accept_context context;
    context.listen_fd = l.fd();
    context.reserve = &reserve;
    std::vector<core::action> actions;
    {
        const descriptor_exhaustion full;
        REQUIRE(::open("/dev/null", O_RDONLY | O_CLOEXEC) == -1);

        // A normal batch meets the real EMFILE; the core asks to shed next.
        const core::actions::accept_batch normal = test::begin_batch(core, 0);
        CHECK_FALSE(normal.shed);
        const accept_batch_result r1 = run_accept_batch(context, core, normal, 0);
        CHECK(r1.accepted == 0);
        CHECK(r1.last_error_value == EMFILE);

        // The shed batch frees the reserve: one accept succeeds, the next finds
        // the process full again.
        const core::actions::accept_batch shed = test::begin_batch(core, 0);
        CHECK(shed.shed);
        const accept_batch_result r2 = run_accept_batch(context, core, shed, 0);
        CHECK(r2.accepted == 1);
        CHECK(r2.last_error_value == EMFILE);
        CHECK_FALSE(reserve.is_held());  // its number went to the accepted socket
        actions = test::drain(core);
        const auto dropped = test::actions_of<core::actions::close_dropped_socket>(actions);
        REQUIRE(dropped.size() == 1);
        CHECK(test::actions_of<core::actions::start_handler>(actions).empty());
        // Closing the shed socket gives its number back to the reserve.
        close_dropped_socket(static_cast<int>(dropped[0].socket), &reserve);
        CHECK(reserve.is_held());
    }
    CHECK(core.stats().shed == 1);
    CHECK(core.num_connections() == 0);
    CHECK(test::peer_closed(client));
    ::close(client);
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
