// A Unix path longer than sun_path holds is refused before any socket exists.
#include <cerrno>
#include <string>
#include <sys/un.h>

#include "berth/errors.hpp"
#include "berth/posix/listener.hpp"
#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

int binds = 0;

int counting_bind(int fd, const sockaddr* address, socklen_t length) {
    ++binds;
    return ::bind(fd, address, length);
}

TEST_CASE("a too long Unix path is refused before any socket is created") {
    const std::string path = "/tmp/" + std::string(200, 'x');
    binds = 0;
    listen_calls calls;
    calls.bind = counting_bind;
    const std::size_t fds_before = test::open_fd_count();
    try {
        static_cast<void>(listener::create(listen_spec::of_file(path), 64, calls));
        FAIL("creation succeeded");
    } catch (const listen_error& e) {
        CHECK(e.error_value() == ENAMETOOLONG);
        CHECK(std::string(e.what()) ==
              "bind unix:" + path +
                  " failed: ENAMETOOLONG (File name too long); a Unix socket name holds at "
                  "most 107 bytes (sun_path); this one has 205: use a shorter or relative path");
    }
    CHECK(binds == 0);
    CHECK(test::open_fd_count() == fds_before);
}

TEST_CASE("the longest Unix path that fits is accepted") {
    test::fd_leak_check leak_check;
    test::temp_dir dir;
    const std::size_t fits = sizeof(sockaddr_un{}.sun_path) - 1;
    const std::string path = dir.file(std::string(fits - dir.path().size() - 1, 'y'));
    REQUIRE(path.size() == fits);
    const listener l = listener::create(listen_spec::of_file(path));
    CHECK(l.listening_on().path == path);
    CHECK(l.listening_on_address().to_string() == path);
}

TEST_CASE("a too long abstract name is refused before any socket is created") {
    const std::size_t fds_before = test::open_fd_count();
    CHECK_THROWS_WITH_AS(
        static_cast<void>(listener::create(listen_spec::of_abstract_name(std::string(108, 'z')))),
        doctest::Contains("ENAMETOOLONG"), listen_error);
    CHECK(test::open_fd_count() == fds_before);
}

TEST_CASE("an empty Unix path is refused") {
    test::fd_leak_check leak_check;
    CHECK_THROWS_WITH_AS(static_cast<void>(listener::create(listen_spec::of_file(""))),
                         "bind unix: failed: EINVAL (Invalid argument); the path is empty",
                         listen_error);
}

}  // namespace
}  // namespace berth::posix
