#include "berth/posix/listen_spec.hpp"

#include <arpa/inet.h>
#include <cstring>
#include <utility>

#include "berth/core/detail/assert.hpp"

namespace berth::posix {

namespace {

socket_address of_ipv4(in_addr address, std::uint16_t port) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_addr = address;
    in.sin_port = htons(port);
    return socket_address(reinterpret_cast<const sockaddr*>(&in), sizeof(in));
}

}  // namespace

bind_address bind_address::all_addresses() {
    in_addr any{};
    any.s_addr = htonl(INADDR_ANY);
    return bind_address(of_ipv4(any, 0));
}

bind_address bind_address::localhost() {
    in_addr loopback{};
    loopback.s_addr = htonl(INADDR_LOOPBACK);
    return bind_address(of_ipv4(loopback, 0));
}

bind_address bind_address::ipv4(in_addr address) {
    return bind_address(of_ipv4(address, 0));
}

bind_address bind_address::ipv6(const in6_addr& address, std::uint32_t scope_id) {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_addr = address;
    in6.sin6_scope_id = scope_id;
    return bind_address(socket_address(reinterpret_cast<const sockaddr*>(&in6), sizeof(in6)));
}

socket_address bind_address::with_port(std::uint16_t port) const {
    sockaddr_storage storage{};
    std::memcpy(&storage, address_.data(), address_.length());
    if (address_.family() == AF_INET) {
        reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(port);
    } else {
        BERTH_ASSERT(address_.family() == AF_INET6);
        reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(port);
    }
    return socket_address(reinterpret_cast<const sockaddr*>(&storage), address_.length());
}

listen_spec listen_spec::of_port(std::uint16_t port) {
    return bind_to(bind_address::all_addresses(), bind_port::number(port));
}

listen_spec listen_spec::of_port_chosen_by_os() {
    return bind_to(bind_address::all_addresses(), bind_port::chosen_by_os());
}

listen_spec listen_spec::bind_to(const bind_address& address, bind_port port) {
    listen_spec spec(listen_kind::inet);
    spec.inet_address_ = address.with_port(port.value());
    return spec;
}

listen_spec listen_spec::of_file(std::string path) {
    listen_spec spec(listen_kind::unix_path);
    spec.unix_name_ = std::move(path);
    return spec;
}

listen_spec listen_spec::of_abstract_name(std::string name) {
    listen_spec spec(listen_kind::unix_abstract);
    spec.unix_name_ = std::move(name);
    return spec;
}

listen_spec listen_spec::of_listening_socket(int fd) {
    BERTH_ASSERT(fd >= 0);
    listen_spec spec(listen_kind::inherited);
    spec.socket_ = fd;
    return spec;
}

listen_spec listen_spec::of_systemd_socket(std::uint32_t index) {
    listen_spec spec(listen_kind::systemd);
    spec.systemd_index_ = index;
    return spec;
}

listen_spec& listen_spec::use_socket(int fd) {
    BERTH_ASSERT(fd >= 0);
    BERTH_ASSERT(kind_ == listen_kind::inet || kind_ == listen_kind::unix_path ||
                 kind_ == listen_kind::unix_abstract);
    socket_ = fd;
    return *this;
}

listen_spec& listen_spec::reuse_address(bool on) {
    reuse_address_ = on;
    return *this;
}

listen_spec& listen_spec::reuse_port(bool on) {
    reuse_port_ = on;
    return *this;
}

listen_spec& listen_spec::remove_stale_socket_file(bool on) {
    remove_stale_ = on;
    return *this;
}

listen_spec& listen_spec::remove_file_on_close(bool on) {
    remove_on_close_ = on;
    return *this;
}

bool listen_spec::creates_socket() const {
    return (kind_ == listen_kind::inet || kind_ == listen_kind::unix_path ||
            kind_ == listen_kind::unix_abstract) &&
           socket_ < 0;
}

std::string listen_spec::to_string() const {
    switch (kind_) {
        case listen_kind::inet: return inet_address_.to_string();
        case listen_kind::unix_path: return "unix:" + unix_name_;
        case listen_kind::unix_abstract: return "unix:@" + unix_name_;
        case listen_kind::inherited: return "inherited socket " + std::to_string(socket_);
        case listen_kind::systemd: return "systemd socket " + std::to_string(systemd_index_);
    }
    return "(unknown)";
}

}  // namespace berth::posix
