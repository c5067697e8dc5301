// berth-chat refuses bad flags and values with a message naming what was wrong, its
// usage, and status 2.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "chat_support.hpp"

namespace berth::chat_test {

namespace {

void check_refused(const std::vector<std::string>& args, const std::string& message) {
    echo_process chat(args);
    CHECK(chat.wait_exit() == 2);
    const std::string err = chat.stderr_text();
    CHECK_MESSAGE(err.find(message) != std::string::npos, err);
    CHECK(err.find("usage: berth-chat") != std::string::npos);
}

}  // namespace

TEST_CASE("unknown flags, bad values and missing values exit 2 with a message naming them") {
    check_refused({"--bogus"}, "unknown argument '--bogus'");
    check_refused({"--close-existing-connections"}, "unknown argument");
    check_refused({"--max-connections", "0"},
                  "--max-connections: invalid value '0': must be between 1 and 16777216");
    check_refused({"--buffer-limit-bytes", "100"},
                  "--buffer-limit-bytes: invalid value '100': must be between 32768 and "
                  "1073741824");
    check_refused({"--buffer-limit-bytes=lots"}, "--buffer-limit-bytes: invalid value 'lots'");
    check_refused({"--drain-deadline-ms", "-1"},
                  "--drain-deadline-ms: invalid value '-1': must be between 0 and 3600000");
    check_refused({"--backend", "tokio"}, "--backend: invalid value 'tokio'");
    check_refused({"--listen", "nowhere"}, "--listen:");
    check_refused({"--listen"}, "--listen: missing value");
    check_refused({"--help=yes"}, "--help: takes no value");
}

TEST_CASE("--help prints the usage with every flag and exits 0") {
    echo_process chat({"--help"});
    CHECK(chat.wait_exit() == 0);
    std::string out;
    // Bounded: the usage is a few lines, then the stream ends.
    while (const std::optional<std::string> line = chat.stdout_line())
        out += *line + "\n";
    CHECK(out.rfind("usage: berth-chat", 0) == 0);
    for (const char* flag : {"--backend", "--listen", "--max-connections", "--buffer-limit-bytes",
                             "--drain-deadline-ms"})
        CHECK(out.find(flag) != std::string::npos);
}

}  // namespace berth::chat_test
