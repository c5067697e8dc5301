#include "berth/posix/parse_listen_spec.hpp"

#include <arpa/inet.h>
#include <charconv>
#include <net/if.h>
#include <string>

#include "berth/detail/printable.hpp"

namespace berth::posix {

namespace {

constexpr std::string_view forms =
    "expected HOST:PORT, [IPv6]:PORT, unix:PATH or unix:@NAME, for example 127.0.0.1:8080, "
    "[::1]:0 or unix:/run/echo.sock";
constexpr std::size_t text_length_max = 4096;

[[noreturn]] void refuse(std::string_view text, const std::string& reason) {
    throw std::invalid_argument("invalid listen address \"" + berth::detail::printable(text) +
                                "\": " + reason + "; " + std::string(forms));
}

bind_port parse_port(std::string_view text, std::string_view port) {
    if (port.empty()) refuse(text, "the port is missing");
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value > 65535) {
        refuse(text, "the port \"" + std::string(port) + "\" is not a number from 0 to 65535");
    }
    return bind_port::number(static_cast<std::uint16_t>(value));
}

listen_spec parse_ipv6(std::string_view text) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) refuse(text, "the '[' of the IPv6 address is not closed");
    if (close + 1 >= text.size() || text[close + 1] != ':') {
        refuse(text, "a ':' and a port must follow the ']'");
    }
    std::string host(text.substr(1, close - 1));
    std::uint32_t scope_id = 0;
    if (const std::size_t percent = host.find('%'); percent != std::string::npos) {
        const std::string scope = host.substr(percent + 1);
        host.resize(percent);
        unsigned number = 0;
        const auto [end, ec] = std::from_chars(scope.data(), scope.data() + scope.size(), number);
        if (!scope.empty() && ec == std::errc() && end == scope.data() + scope.size()) {
            scope_id = number;
        } else {
            scope_id = ::if_nametoindex(scope.c_str());
            if (scope_id == 0) refuse(text, "there is no network interface \"" + scope + "\"");
        }
    }
    in6_addr address{};
    if (::inet_pton(AF_INET6, host.c_str(), &address) != 1) {
        refuse(text, "\"" + host + "\" is not an IPv6 address");
    }
    return listen_spec::bind_to(bind_address::ipv6(address, scope_id),
                                parse_port(text, text.substr(close + 2)));
}

listen_spec parse_inet(std::string_view text) {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) refuse(text, "there is no ':' before a port");
    const std::string host(text.substr(0, colon));
    const bind_port port = parse_port(text, text.substr(colon + 1));
    if (host.find(':') != std::string::npos) {
        refuse(text, "write IPv6 addresses in brackets, as in [" + host +
                         "]:" + std::to_string(port.value()));
    }
    if (host.empty() || host == "*")
        return listen_spec::bind_to(bind_address::all_addresses(), port);
    if (host == "localhost") return listen_spec::bind_to(bind_address::localhost(), port);
    in_addr address{};
    if (::inet_pton(AF_INET, host.c_str(), &address) != 1) {
        refuse(text, "\"" + host +
                         "\" is not an IPv4 address (host names other than localhost are not "
                         "resolved)");
    }
    return listen_spec::bind_to(bind_address::ipv4(address), port);
}

}  // namespace

listen_spec parse_listen_spec(std::string_view text) {
    if (text.empty()) refuse(text, "it is empty");
    if (text.size() > text_length_max) refuse(text.substr(0, 64), "it is too long");
    if (text.find('\0') != std::string_view::npos) refuse(text, "it contains a NUL byte");
    constexpr std::string_view unix_prefix = "unix:";
    if (text.substr(0, unix_prefix.size()) == unix_prefix) {
        const std::string_view rest = text.substr(unix_prefix.size());
        if (rest.empty()) refuse(text, "the Unix socket path is empty");
        if (rest[0] == '@') {
            if (rest.size() == 1) refuse(text, "the abstract name after '@' is empty");
            return listen_spec::of_abstract_name(std::string(rest.substr(1)));
        }
        return listen_spec::of_file(std::string(rest));
    }
    if (text[0] == '[') return parse_ipv6(text);
    return parse_inet(text);
}

}  // namespace berth::posix
