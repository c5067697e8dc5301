#include "berth/address.hpp"

#include <arpa/inet.h>
#include <charconv>
#include <cstring>
#include <ostream>

#include "berth/core/detail/assert.hpp"

namespace berth {

address address::ipv4(const std::array<std::uint8_t, 4>& bytes, std::uint16_t port) {
    address a;
    a.family_ = family_type::ipv4;
    a.length_ = 4;
    a.port_ = port;
    std::memcpy(a.bytes_.data(), bytes.data(), bytes.size());
    return a;
}

address address::ipv6(const std::array<std::uint8_t, 16>& bytes, std::uint16_t port,
                      std::uint32_t scope_id) {
    address a;
    a.family_ = family_type::ipv6;
    a.length_ = 16;
    a.port_ = port;
    a.scope_id_ = scope_id;
    std::memcpy(a.bytes_.data(), bytes.data(), bytes.size());
    return a;
}

namespace {

std::optional<std::uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || value > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

}  // namespace

address address::unix_path(std::string_view path) {
    BERTH_ASSERT(path.size() <= unix_name_max);
    address a;
    a.family_ = family_type::unix_path;
    a.length_ = static_cast<std::uint8_t>(path.size());
    std::memcpy(a.bytes_.data(), path.data(), path.size());
    return a;
}

address address::unix_abstract(std::string_view name) {
    BERTH_ASSERT(name.size() <= unix_abstract_name_max);
    address a = unix_path(name);
    a.family_ = family_type::unix_abstract;
    return a;
}

address address::unix_unnamed() {
    address a;
    a.family_ = family_type::unix_unnamed;
    return a;
}

std::optional<address> address::parse(std::string_view text) {
    if (text.substr(0, 5) == "unix:") {
        const std::string_view name = text.substr(5);
        if (name.empty()) return std::nullopt;
        if (name[0] == '@') {
            if (name.size() - 1 > unix_abstract_name_max) return std::nullopt;
            return unix_abstract(name.substr(1));
        }
        if (name.size() > unix_name_max) return std::nullopt;
        return unix_path(name);
    }
    if (!text.empty() && text[0] == '[') {
        const std::size_t close = text.find("]:");
        if (close == std::string_view::npos) return std::nullopt;
        std::string host(text.substr(1, close - 1));
        std::uint32_t scope_id = 0;
        if (const std::size_t percent = host.find('%'); percent != std::string::npos) {
            const std::string_view scope = std::string_view(host).substr(percent + 1);
            const auto [end, error] =
                std::from_chars(scope.data(), scope.data() + scope.size(), scope_id);
            if (scope.empty() || error != std::errc() || end != scope.data() + scope.size()) {
                return std::nullopt;
            }
            host.resize(percent);
        }
        std::array<std::uint8_t, 16> bytes{};
        const std::optional<std::uint16_t> port = parse_port(text.substr(close + 2));
        if (!port || inet_pton(AF_INET6, host.c_str(), bytes.data()) != 1) return std::nullopt;
        return ipv6(bytes, *port, scope_id);
    }
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string host(text.substr(0, colon));
    std::array<std::uint8_t, 4> bytes{};
    const std::optional<std::uint16_t> port = parse_port(text.substr(colon + 1));
    if (!port || inet_pton(AF_INET, host.c_str(), bytes.data()) != 1) return std::nullopt;
    return ipv4(bytes, *port);
}

std::string_view address::ip_bytes() const {
    return is_inet() ? std::string_view(bytes_.data(), length_) : std::string_view();
}

std::string_view address::unix_name() const {
    return family_ == family_type::unix_path || family_ == family_type::unix_abstract
               ? std::string_view(bytes_.data(), length_)
               : std::string_view();
}

std::string address::to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    switch (family_) {
        case family_type::none: return "(none)";
        case family_type::ipv4:
            inet_ntop(AF_INET, bytes_.data(), text, sizeof(text));
            return std::string(text) + ":" + std::to_string(port_);
        case family_type::ipv6: {
            inet_ntop(AF_INET6, bytes_.data(), text, sizeof(text));
            std::string out = "[" + std::string(text);
            if (scope_id_ != 0) out += "%" + std::to_string(scope_id_);
            return out + "]:" + std::to_string(port_);
        }
        case family_type::unix_path: return std::string(unix_name());
        case family_type::unix_abstract: return "@" + std::string(unix_name());
        case family_type::unix_unnamed: return "(unnamed)";
    }
    return "(unknown address)";
}

std::ostream& operator<<(std::ostream& os, const address& a) {
    return os << a.to_string();
}

bool operator==(const address& a, const address& b) {
    return a.family_ == b.family_ && a.port_ == b.port_ && a.scope_id_ == b.scope_id_ &&
           a.length_ == b.length_ && std::memcmp(a.bytes_.data(), b.bytes_.data(), a.length_) == 0;
}

std::string listen_endpoint::to_string() const {
    return is_unix ? path : std::to_string(port);
}

}  // namespace berth
