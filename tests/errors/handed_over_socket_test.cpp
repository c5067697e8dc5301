// SEMANTICS.md section 2: the server owns a socket handed over to it (use_socket,
// of_listening_socket, of_systemd_socket) from the moment create is called, so
// every failed creation closes it, exactly once: a refused option, an empty
// handler, `call` without its hook, a null libuv loop, a refused Unix name.
#include <stdlib.h>
#include <string>
#include <unistd.h>

#include <doctest/doctest.h>

#include "berth/errors.hpp"
#include "berth/posix/listener.hpp"
#include "errors_support.hpp"
#include "posix_test_support.hpp"
#ifdef BERTH_ERRORS_HAVE_UV
#include "berth/line_protocol.hpp"
#include "berth/uv/server.hpp"
#include "uv_test_support.hpp"
#endif

namespace berth::errors_test {

namespace {

// Runs `create`, which must throw E with exactly `message`, then checks that `fd`
// was closed by it and that the process holds as many descriptors as before.
// A descriptor left open is closed here, so one failure does not cascade.
template <typename E>
void expect_closed(const std::function<void()>& create, int fd, const std::string& message,
                   const std::function<std::size_t()>& count, std::size_t before) {
    CAPTURE(message);
    CHECK_THROWS_WITH_AS(create(), message.c_str(), E);
    const bool closed = closed_with_ebadf(fd);
    CHECK_MESSAGE(closed, "the handed-over socket ", fd, " is still open");
    if (!closed) ::close(fd);
    CHECK(count() == before);
}

std::string too_long_path() {
    return "/tmp/" + std::string(200, 'x');
}

// The listen specs a Unix name is refused for, each with its message.
struct name_row {
    posix::listen_spec spec;
    std::string message;
};

std::vector<name_row> refused_names() {
    const std::string long_path = too_long_path();
    return {
        {posix::listen_spec::of_file(""),
         "bind unix: failed: EINVAL (Invalid argument); the path is empty"},
        {posix::listen_spec::of_file(std::string("/tmp/a\0b", 8)),
         // The NUL is written \0: a raw one would end what() before the reason.
         "bind unix:/tmp/a\\0b failed: EINVAL (Invalid argument); the path contains a NUL byte"},
        {posix::listen_spec::of_file(long_path),
         "bind unix:" + long_path +
             " failed: ENAMETOOLONG (File name too long); a Unix socket name holds at most 107 "
             "bytes (sun_path); this one has 205: use a shorter or relative path"},
        {posix::listen_spec::of_abstract_name(""),
         "bind unix:@ failed: EINVAL (Invalid argument); the abstract name is empty"},
    };
}

// Points LISTEN_PID and LISTEN_FDS at `fd` as systemd would (socket `fd - 3`), and
// unsets them at the end of the scope.
class systemd_environment {
public:
    explicit systemd_environment(int fd) : index_(static_cast<std::uint32_t>(fd - 3)) {
        REQUIRE(fd >= 3);
        ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
        ::setenv("LISTEN_FDS", std::to_string(fd - 2).c_str(), 1);
    }
    systemd_environment(const systemd_environment&) = delete;
    systemd_environment& operator=(const systemd_environment&) = delete;
    ~systemd_environment() {
        ::unsetenv("LISTEN_PID");
        ::unsetenv("LISTEN_FDS");
    }
    [[nodiscard]] std::uint32_t index() const { return index_; }

private:
    std::uint32_t index_;
};

}  // namespace

TEST_CASE(
    "listener: a supplied socket is closed when its Unix name is empty, has a NUL or is too "
    "long") {
    const std::size_t before = posix::test::open_fd_count();
    for (name_row& row : refused_names()) {
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        row.spec.use_socket(fd);
        expect_closed<listen_error>([&] { static_cast<void>(posix::listener::create(row.spec)); },
                                    fd, row.message, posix::test::open_fd_count, before);
    }
}

TEST_CASE("every backend: a supplied socket is closed when an option is refused") {
    for (const backend& b : backends()) {
        CAPTURE(b.name);
        const std::size_t before = b.open_descriptors();
        for (const option_row& row : option_rows()) {
            CAPTURE(row.option);
            const int fd = unbound_tcp_socket();
            creation c{posix::listen_spec::bind_to(posix::bind_address::localhost(),
                                                   posix::bind_port::chosen_by_os())
                           .use_socket(fd),
                       row.opts};
            expect_closed<creation_error>([&] { b.create(c); }, fd, row.message, b.open_descriptors,
                                          before);
        }
    }
}

TEST_CASE(
    "every backend: a supplied socket is closed when the handler is empty or call has no "
    "hook") {
    for (const backend& b : backends()) {
        CAPTURE(b.name);
        const std::size_t before = b.open_descriptors();
        int fd = unbound_tcp_socket();
        creation empty{posix::listen_spec::of_port_chosen_by_os().use_socket(fd), good_options(),
                       false};
        expect_closed<creation_error>([&] { b.create(empty); }, fd, "create: the handler is empty",
                                      b.open_descriptors, before);
        fd = unbound_tcp_socket();
        creation no_hook{posix::listen_spec::of_port_chosen_by_os().use_socket(fd), good_options()};
        no_hook.opts.on_handler_error = core::error_policy::call;
        expect_closed<creation_error>(
            [&] { b.create(no_hook); }, fd,
            "on_handler_error is call, but server_hooks::on_handler_error is not set",
            b.open_descriptors, before);
    }
}

TEST_CASE("every backend: a supplied socket is closed when its Unix name is refused") {
    for (const backend& b : backends()) {
        CAPTURE(b.name);
        const std::size_t before = b.open_descriptors();
        for (name_row& row : refused_names()) {
            const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            REQUIRE(fd >= 0);
            creation c{row.spec.use_socket(fd), good_options()};
            expect_closed<listen_error>([&] { b.create(c); }, fd, row.message, b.open_descriptors,
                                        before);
        }
    }
}

TEST_CASE("every backend: an inherited listening socket is closed when an option is refused") {
    for (const backend& b : backends()) {
        CAPTURE(b.name);
        const std::size_t before = b.open_descriptors();
        const int fd = listening_tcp_socket();
        core::options o = good_options();
        o.max_connections = 0;
        creation c{posix::listen_spec::of_listening_socket(fd), o};
        expect_closed<creation_error>([&] { b.create(c); }, fd,
                                      "max_connections must be at least 1 (got 0)",
                                      b.open_descriptors, before);
    }
}

TEST_CASE("every backend: a systemd socket is closed when an option is refused") {
    for (const backend& b : backends()) {
        CAPTURE(b.name);
        const std::size_t before = b.open_descriptors();
        const int fd = listening_tcp_socket();
        const systemd_environment environment(fd);
        core::options o = good_options();
        o.backlog = -1;
        creation c{posix::listen_spec::of_systemd_socket(environment.index()), o};
        expect_closed<creation_error>([&] { b.create(c); }, fd,
                                      "backlog must be at least 0 (got -1)", b.open_descriptors,
                                      before);
    }
}

#ifdef BERTH_ERRORS_HAVE_UV
TEST_CASE("uv: a supplied socket is closed when the loop is null") {
    const std::size_t before = uv_test::count_descriptors();
    const int fd = unbound_tcp_socket();
    expect_closed<creation_error>(
        [&] {
            static_cast<void>(uv::server::create(
                nullptr, posix::listen_spec::of_port_chosen_by_os().use_socket(fd), good_options(),
                line_protocol_handler()));
        },
        fd, "create: the uv_loop_t is null", uv_test::count_descriptors, before);
}
#endif

}  // namespace berth::errors_test
