// The default max_connections is 90% of the soft descriptor limit, at least 1.
#include "berth/posix/default_max_connections.hpp"

#include <sys/resource.h>

#include "berth/core/options.hpp"
#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

// Restores the descriptor limit the test changed.
class fd_limit_change {
public:
    explicit fd_limit_change(rlim_t soft) {
        REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
        rlimit changed = saved_;
        changed.rlim_cur = soft;
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &changed) == 0);
    }
    fd_limit_change(const fd_limit_change&) = delete;
    fd_limit_change& operator=(const fd_limit_change&) = delete;
    ~fd_limit_change() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

private:
    rlimit saved_{};
};

TEST_CASE("the default is 90 percent of the current soft limit") {
    rlimit limit{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &limit) == 0);
    REQUIRE(limit.rlim_max >= 1000);
    {
        const fd_limit_change change(1000);
        CHECK(default_max_connections() == 900);
    }
    {
        const fd_limit_change change(1);
        CHECK(default_max_connections() == 1);
    }
}

TEST_CASE("the rule rounds down, keeps at least 1 and caps at the core's limit") {
    CHECK(max_connections_for_fd_limit(1024) == 921);
    CHECK(max_connections_for_fd_limit(10) == 9);
    CHECK(max_connections_for_fd_limit(1) == 1);
    CHECK(max_connections_for_fd_limit(0) == 1);
    CHECK(max_connections_for_fd_limit(RLIM_INFINITY) == core::max_connections_limit);
    CHECK(max_connections_for_fd_limit(core::max_connections_limit * 2ULL) ==
          core::max_connections_limit);
}

}  // namespace
}  // namespace berth::posix
