// berth-echo's bad flags (docs/errors.md): each exits with status 2, its first line
// on stderr is exactly the message below and the second the usage; a listen error
// exits 1 with the listener's message. The test process holds no more descriptors
// afterwards than before (the child's pipes are closed), and a refused Unix path
// leaves no file.
#include <filesystem>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "echo_support.hpp"
#include "posix_test_support.hpp"

namespace berth::errors_test {

namespace {

struct flag_row {
    std::vector<std::string> args;
    std::string message;  // stderr's first line, without "berth-echo: "
};

// Runs berth-echo with `args`: it exits with `status` and its stderr starts with
// "berth-echo: <message>\n".
std::string run_refused(const std::vector<std::string>& args, int status,
                        const std::string& message) {
    const std::size_t before = posix::test::open_fd_count();
    std::string err;
    {
        echo_test::echo_process echo(args);
        CHECK(echo.wait_exit() == status);
        err = echo.stderr_text();
    }
    const std::string first = "berth-echo: " + message + "\n";
    CHECK(err.substr(0, first.size()) == first);
    CHECK(posix::test::open_fd_count() == before);
    return err.substr(std::min(first.size(), err.size()));
}

}  // namespace

TEST_CASE("berth-echo: each bad flag or value exits 2 with its message and the usage") {
    const std::string bytes_rule =
        "expected a number of bytes from 1 to 9223372036854775807, or 'unlimited'";
    const std::vector<flag_row> rows = {
        {{"--bogus"}, "unknown argument '--bogus'"},
        {{"--listen"}, "--listen: missing value"},
        {{"--drop-incoming=1"}, "--drop-incoming: takes no value"},
        {{"--max-accepts-per-batch", "x"},
         "--max-accepts-per-batch: invalid value 'x': expected an integer"},
        {{"--max-connections", "0"},
         "--max-connections: invalid value '0': must be between 1 and 16777216"},
        {{"--max-connections", "16777217"},
         "--max-connections: invalid value '16777217': must be between 1 and 16777216"},
        {{"--max-accepts-per-batch", "4097"},
         "--max-accepts-per-batch: invalid value '4097': must be between 1 and 4096"},
        {{"--backlog", "-1"}, "--backlog: invalid value '-1': must be between 0 and 1048576"},
        {{"--on-handler-error", "explode"},
         "--on-handler-error: invalid value 'explode': expected raise, ignore or call"},
        {{"--buffer-age-limit", "soon"},
         "--buffer-age-limit: invalid value 'soon': expected a number of seconds or 'unlimited'"},
        {{"--buffer-age-limit", "0"},
         "--buffer-age-limit: invalid value '0': expected a number of seconds above 0 and at "
         "most 86400, or 'unlimited'"},
        {{"--buffer-limit", "0"}, "--buffer-limit: invalid value '0': " + bytes_rule},
        {{"--backend", "tokio"},
         "--backend: invalid value 'tokio': this build's backends are: " BERTH_ECHO_BUILT_BACKENDS},
        {{"--listen", "nowhere"},
         "--listen: invalid listen address \"nowhere\": there is no ':' before a port; expected "
         "HOST:PORT, [IPv6]:PORT, unix:PATH or unix:@NAME, for example 127.0.0.1:8080, [::1]:0 "
         "or unix:/run/echo.sock"},
    };
    for (const flag_row& row : rows) {
        CAPTURE(row.args.front());
        const std::string rest = run_refused(row.args, 2, row.message);
        CHECK(rest.rfind("usage: berth-echo [--backend asio|uv]", 0) == 0);
    }
}

TEST_CASE("berth-echo: a listen error exits 1 with the listener's message and leaves no file") {
    posix::test::temp_dir dir;
    const std::string path = dir.file("missing/echo.sock");
    const std::string rest = run_refused(
        {"--listen", "unix:" + path}, 1,
        "bind unix:" + path + " failed: ENOENT (No such file or directory); the directory \"" +
            dir.file("missing") + "\" does not exist");
    CHECK(rest.empty());
    CHECK_FALSE(std::filesystem::exists(dir.file("missing")));
}

}  // namespace berth::errors_test
