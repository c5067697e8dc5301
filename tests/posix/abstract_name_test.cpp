// Linux abstract Unix names: no file, "@name" in listening_on and addresses.
#include <cerrno>
#include <string>
#include <unistd.h>

#include "berth/errors.hpp"
#include "berth/posix/listener.hpp"
#include "berth/posix/parse_listen_spec.hpp"
#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

TEST_CASE("an abstract name listens without a file and reports @name") {
    test::fd_leak_check leak_check;
    const std::string name = test::unique_abstract_name("abstract");
    const listener l = listener::create(listen_spec::of_abstract_name(name));
    CHECK(l.listening_on().is_unix);
    CHECK(l.listening_on().path == "@" + name);
    CHECK(l.listening_on_address().to_string() == "@" + name);
    const int client = test::connect_to(test::unix_address("@" + name));
    const int accepted = ::accept4(l.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    CHECK(accepted >= 0);
    if (accepted >= 0) ::close(accepted);
    ::close(client);
}

TEST_CASE("the text form unix:@NAME gives an abstract name") {
    test::fd_leak_check leak_check;
    const std::string name = test::unique_abstract_name("parsed");
    const listener l = listener::create(parse_listen_spec("unix:@" + name));
    CHECK(l.listening_on().path == "@" + name);
}

TEST_CASE("an abstract name in use fails with a hint") {
    test::fd_leak_check leak_check;
    const std::string name = test::unique_abstract_name("taken");
    const listener first = listener::create(listen_spec::of_abstract_name(name));
    CHECK_THROWS_WITH_AS(
        static_cast<void>(listener::create(listen_spec::of_abstract_name(name))),
        ("bind unix:@" + name +
         " failed: EADDRINUSE (Address already in use); another socket holds this abstract name")
            .c_str(),
        listen_error);
}

TEST_CASE("an abstract name is gone as soon as its listener closes") {
    test::fd_leak_check leak_check;
    const std::string name = test::unique_abstract_name("reuse");
    listener first = listener::create(listen_spec::of_abstract_name(name));
    first.close();
    const listener second = listener::create(listen_spec::of_abstract_name(name));
    CHECK(second.is_open());
}

}  // namespace
}  // namespace berth::posix
