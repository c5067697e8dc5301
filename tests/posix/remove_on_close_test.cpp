// The socket file is removed at close only when asked, and only if it is still
// the file this listener bound.
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "berth/posix/listener.hpp"
#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

bool exists(const std::string& path) {
    struct stat status {};
    return ::lstat(path.c_str(), &status) == 0;
}

TEST_CASE("by default the socket file stays after close") {
    test::fd_leak_check leak_check;
    test::temp_dir dir;
    const std::string path = dir.file("s");
    listener l = listener::create(listen_spec::of_file(path));
    l.close();
    CHECK(exists(path));
}

TEST_CASE("remove_file_on_close removes the socket file at close") {
    test::fd_leak_check leak_check;
    test::temp_dir dir;
    const std::string path = dir.file("s");
    listener l = listener::create(listen_spec::of_file(path).remove_file_on_close(true));
    CHECK(exists(path));
    l.close();
    CHECK_FALSE(exists(path));
}

TEST_CASE("remove_file_on_close also applies when the listener is destroyed") {
    test::fd_leak_check leak_check;
    test::temp_dir dir;
    const std::string path = dir.file("s");
    { const listener l = listener::create(listen_spec::of_file(path).remove_file_on_close(true)); }
    CHECK_FALSE(exists(path));
}

TEST_CASE("a file that replaced the socket is not removed at close") {
    test::fd_leak_check leak_check;
    test::temp_dir dir;
    const std::string path = dir.file("s");
    listener l = listener::create(listen_spec::of_file(path).remove_file_on_close(true));
    REQUIRE(::unlink(path.c_str()) == 0);
    std::ofstream(path) << "someone else's";
    l.close();
    CHECK(exists(path));
}

}  // namespace
}  // namespace berth::posix
