// The text forms of --listen: what each good input means, and that bad inputs are
// refused with a message that quotes them and says what is wrong.
#include "berth/posix/parse_listen_spec.hpp"

#include <stdexcept>
#include <string>

#include "posix_test_support.hpp"

namespace berth::posix {
namespace {

TEST_CASE("good inputs parse to the listen form they name") {
    struct expectation {
        const char* text;
        listen_kind kind;
        const char* canonical;
    };
    const expectation cases[] = {
        {"127.0.0.1:8080", listen_kind::inet, "127.0.0.1:8080"},
        {"localhost:0", listen_kind::inet, "127.0.0.1:0"},
        {"*:80", listen_kind::inet, "0.0.0.0:80"},
        {":65535", listen_kind::inet, "0.0.0.0:65535"},
        {"0.0.0.0:1", listen_kind::inet, "0.0.0.0:1"},
        {"[::1]:8080", listen_kind::inet, "[::1]:8080"},
        {"[::]:0", listen_kind::inet, "[::]:0"},
        {"[fe80::1%1]:80", listen_kind::inet, "[fe80::1%1]:80"},
        {"[fe80::1%lo]:80", listen_kind::inet, "[fe80::1%1]:80"},
        {"unix:/run/echo.sock", listen_kind::unix_path, "unix:/run/echo.sock"},
        {"unix:relative.sock", listen_kind::unix_path, "unix:relative.sock"},
        {"unix:./@odd", listen_kind::unix_path, "unix:./@odd"},
        {"unix:@echo", listen_kind::unix_abstract, "unix:@echo"},
    };
    for (const expectation& e : cases) {
        INFO(e.text);
        const listen_spec spec = parse_listen_spec(e.text);
        CHECK(spec.kind() == e.kind);
        CHECK(spec.to_string() == e.canonical);
        CHECK(spec.creates_socket());
        CHECK(spec.reuses_address());
        CHECK_FALSE(spec.reuses_port());
    }
}

TEST_CASE("the abstract and path forms keep the name exactly") {
    CHECK(parse_listen_spec("unix:@a b").unix_name() == "a b");
    CHECK(parse_listen_spec("unix:/tmp/x y").unix_name() == "/tmp/x y");
    CHECK(parse_listen_spec("[::1]:7").inet_address().port() == 7);
}

std::string refusal(const std::string& text) {
    try {
        static_cast<void>(parse_listen_spec(text));
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(accepted)";
}

TEST_CASE("bad inputs are refused with a message that says what is wrong") {
    const std::string forms =
        "; expected HOST:PORT, [IPv6]:PORT, unix:PATH or unix:@NAME, for example "
        "127.0.0.1:8080, [::1]:0 or unix:/run/echo.sock";
    CHECK(refusal("") == "invalid listen address \"\": it is empty" + forms);
    CHECK(refusal("8080") ==
          "invalid listen address \"8080\": there is no ':' before a port" + forms);
    CHECK(refusal("127.0.0.1:") ==
          "invalid listen address \"127.0.0.1:\": the port is missing" + forms);
    CHECK(refusal("127.0.0.1:65536") ==
          "invalid listen address \"127.0.0.1:65536\": the port \"65536\" is not a number from "
          "0 to 65535" +
              forms);
    CHECK(refusal("127.0.0.1:-1").find("the port \"-1\" is not a number") != std::string::npos);
    CHECK(refusal("127.0.0.1:80x").find("the port \"80x\" is not a number") != std::string::npos);
    CHECK(refusal("example.com:80") ==
          "invalid listen address \"example.com:80\": \"example.com\" is not an IPv4 address "
          "(host names other than localhost are not resolved)" +
              forms);
    CHECK(refusal("256.0.0.1:80").find("\"256.0.0.1\" is not an IPv4 address") !=
          std::string::npos);
    CHECK(refusal("::1:80") ==
          "invalid listen address \"::1:80\": write IPv6 addresses in brackets, as in "
          "[::1]:80" +
              forms);
    CHECK(refusal("[::1]80").find("a ':' and a port must follow the ']'") != std::string::npos);
    CHECK(refusal("[::1]").find("a ':' and a port must follow the ']'") != std::string::npos);
    CHECK(refusal("[::1:80").find("the '[' of the IPv6 address is not closed") !=
          std::string::npos);
    CHECK(refusal("[1.2.3.4]:80").find("\"1.2.3.4\" is not an IPv6 address") != std::string::npos);
    CHECK(refusal("[fe80::1%nosuchif0]:80").find("there is no network interface \"nosuchif0\"") !=
          std::string::npos);
    CHECK(refusal("unix:") ==
          "invalid listen address \"unix:\": the Unix socket path is empty" + forms);
    CHECK(refusal("unix:@") ==
          "invalid listen address \"unix:@\": the abstract name after '@' is empty" + forms);
    CHECK(refusal(std::string("unix:a\0b", 8)).find("it contains a NUL byte") != std::string::npos);
    CHECK(refusal(std::string(5000, '1')).find("it is too long") != std::string::npos);
}

}  // namespace
}  // namespace berth::posix
