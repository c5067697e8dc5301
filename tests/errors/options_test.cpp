// Options out of range, an empty handler and `call` without its hook (docs/errors.md):
// each is a creation_error with the whole message below, on every backend and in
// every handler form, raised before any socket exists: no descriptor is opened and
// no socket file appears.
#include <filesystem>
#include <string>

#include <doctest/doctest.h>

#include "berth/errors.hpp"
#include "berth/line_protocol.hpp"
#include "berth/sim/kernel.hpp"
#include "berth/sim/server.hpp"
#include "berth/sim/world.hpp"
#include "errors_support.hpp"
#include "posix_test_support.hpp"

namespace berth::errors_test {

namespace {

// Creating `c` on `b` throws creation_error with exactly `message`; the descriptor
// count is unchanged and the Unix socket file of c's spec was never made.
void expect_refused(const backend& b, const creation& c, const std::string& message) {
    CAPTURE(message);
    const std::size_t before = b.open_descriptors();
    CHECK_THROWS_WITH_AS(b.create(c), message.c_str(), creation_error);
    CHECK(b.open_descriptors() == before);
    CHECK_FALSE(std::filesystem::exists(std::filesystem::symlink_status(c.spec.unix_name())));
}

constexpr form all_forms[] = {form::create, form::create_sock, form::native};

const char* form_name(form f) {
    return f == form::create ? "create" : "create_sock";
}

}  // namespace

TEST_CASE(
    "every backend: each option out of range is refused with its rule and value, opening "
    "nothing") {
    posix::test::temp_dir dir;
    for (const backend& b : backends()) {
        CAPTURE(b.name);
        for (const option_row& row : option_rows()) {
            for (const form f : all_forms) {
                expect_refused(
                    b, creation(posix::listen_spec::of_file(dir.file("s")), row.opts, true, f),
                    row.message);
            }
        }
    }
}

TEST_CASE("sim: each option out of range is refused with its rule and value, opening nothing") {
    const std::size_t before = posix::test::open_fd_count();
    sim::world w(1);
    for (const option_row& row : option_rows()) {
        CAPTURE(row.option);
        CHECK_THROWS_WITH_AS(static_cast<void>(sim::server::create(w, "127.0.0.1:0", row.opts,
                                                                   line_protocol_handler())),
                             row.message.c_str(), creation_error);
        CHECK_THROWS_WITH_AS(static_cast<void>(sim::server::create_sock(
                                 w, "127.0.0.1:0", row.opts, line_protocol_sock_handler())),
                             row.message.c_str(), creation_error);
        CHECK(w.net().fds_in_use() == 0);
    }
    CHECK(posix::test::open_fd_count() == before);
}

TEST_CASE("every backend: an empty handler is refused naming the form, opening nothing") {
    posix::test::temp_dir dir;
    for (const backend& b : backends()) {
        CAPTURE(b.name);
        for (const form f : all_forms) {
            expect_refused(
                b, creation(posix::listen_spec::of_file(dir.file("s")), good_options(), false, f),
                std::string(form_name(f)) + ": the handler is empty");
        }
    }
    sim::world w(1);
    CHECK_THROWS_WITH_AS(static_cast<void>(sim::server::create(w, "127.0.0.1:0", good_options(),
                                                               reader_writer_handler{})),
                         "create: the handler is empty", creation_error);
    CHECK_THROWS_WITH_AS(static_cast<void>(sim::server::create_sock(
                             w, "127.0.0.1:0", good_options(), stream_handler{})),
                         "create_sock: the handler is empty", creation_error);
    CHECK(w.net().fds_in_use() == 0);
}

TEST_CASE("every backend: on_handler_error call without its hook is refused, opening nothing") {
    posix::test::temp_dir dir;
    core::options o = good_options();
    o.on_handler_error = core::error_policy::call;
    const std::string message =
        "on_handler_error is call, but server_hooks::on_handler_error is not set";
    for (const backend& b : backends()) {
        CAPTURE(b.name);
        for (const form f : all_forms) {
            creation c(posix::listen_spec::of_file(dir.file("s")), o, true, f);
            c.hooks.on_notice = [](const core::actions::notice&) {};  // a hook, not that one
            expect_refused(b, c, message);
        }
    }
    sim::world w(1);
    CHECK_THROWS_WITH_AS(
        static_cast<void>(sim::server::create(w, "127.0.0.1:0", o, line_protocol_handler())),
        message.c_str(), creation_error);
    CHECK(w.net().fds_in_use() == 0);
}

}  // namespace berth::errors_test
