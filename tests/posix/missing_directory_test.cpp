// A Unix path in a directory that does not exist fails with a hint naming it.
#include <cerrno>
#include <string>

#include "berth/errors.hpp"
#include "berth/posix/listener.hpp"
#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

TEST_CASE("a missing directory is reported with its name and nothing is left open") {
    test::fd_leak_check leak_check;
    test::temp_dir dir;
    const std::string path = dir.file("missing/echo.sock");
    try {
        static_cast<void>(listener::create(listen_spec::of_file(path)));
        FAIL("creation succeeded");
    } catch (const listen_error& e) {
        CHECK(e.error_value() == ENOENT);
        CHECK(std::string(e.what()) == "bind unix:" + path +
                                           " failed: ENOENT (No such file or directory); the "
                                           "directory \"" +
                                           dir.file("missing") + "\" does not exist");
    }
}

}  // namespace
}  // namespace berth::posix
