// Malformed listen addresses and ports out of range in the text form
// (parse_listen_spec, berth-echo's --listen; docs/errors.md): std::invalid_argument
// quoting the input, saying what is wrong and listing the accepted forms. Parsing
// opens nothing.
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "berth/posix/parse_listen_spec.hpp"
#include "posix_test_support.hpp"

namespace berth::errors_test {

namespace {

const std::string forms =
    "; expected HOST:PORT, [IPv6]:PORT, unix:PATH or unix:@NAME, for example 127.0.0.1:8080, "
    "[::1]:0 or unix:/run/echo.sock";

struct text_row {
    std::string input;
    std::string message;  // without the forms
};

void expect_refused(const std::vector<text_row>& rows) {
    const std::size_t before = posix::test::open_fd_count();
    for (const text_row& row : rows) {
        CAPTURE(row.input);
        CHECK_THROWS_WITH_AS(static_cast<void>(posix::parse_listen_spec(row.input)),
                             (row.message + forms).c_str(), std::invalid_argument);
    }
    CHECK(posix::test::open_fd_count() == before);
}

}  // namespace

TEST_CASE("text form: a port out of range or not a number is refused, quoting it") {
    expect_refused({
        {"127.0.0.1:65536",
         "invalid listen address \"127.0.0.1:65536\": the port \"65536\" is not a number from 0 "
         "to 65535"},
        {"127.0.0.1:-1",
         "invalid listen address \"127.0.0.1:-1\": the port \"-1\" is not a number from 0 to "
         "65535"},
        {"127.0.0.1:80x",
         "invalid listen address \"127.0.0.1:80x\": the port \"80x\" is not a number from 0 to "
         "65535"},
        {"[::1]:99999",
         "invalid listen address \"[::1]:99999\": the port \"99999\" is not a number from 0 to "
         "65535"},
        {"127.0.0.1:", "invalid listen address \"127.0.0.1:\": the port is missing"},
        {"8080", "invalid listen address \"8080\": there is no ':' before a port"},
    });
}

TEST_CASE("text form: a malformed address is refused, saying what is wrong") {
    expect_refused({
        {"", "invalid listen address \"\": it is empty"},
        {"example.com:80",
         "invalid listen address \"example.com:80\": \"example.com\" is not an IPv4 address (host "
         "names other than localhost are not resolved)"},
        {"256.0.0.1:80",
         "invalid listen address \"256.0.0.1:80\": \"256.0.0.1\" is not an IPv4 address (host "
         "names other than localhost are not resolved)"},
        {"::1:80",
         "invalid listen address \"::1:80\": write IPv6 addresses in brackets, as in [::1]:80"},
        {"[::1]80", "invalid listen address \"[::1]80\": a ':' and a port must follow the ']'"},
        {"[::1:80",
         "invalid listen address \"[::1:80\": the '[' of the IPv6 address is not closed"},
        {"[1.2.3.4]:80",
         "invalid listen address \"[1.2.3.4]:80\": \"1.2.3.4\" is not an IPv6 address"},
        {"[fe80::1%nosuchif0]:80",
         "invalid listen address \"[fe80::1%nosuchif0]:80\": there is no network interface "
         "\"nosuchif0\""},
        {"unix:", "invalid listen address \"unix:\": the Unix socket path is empty"},
        {"unix:@", "invalid listen address \"unix:@\": the abstract name after '@' is empty"},
        {std::string("unix:a\0b", 8),
         "invalid listen address \"unix:a\\0b\": it contains a NUL byte"},
        {std::string(5000, '1'),
         "invalid listen address \"" + std::string(64, '1') + "\": it is too long"},
    });
}

}  // namespace berth::errors_test
