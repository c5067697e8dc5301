#include "berth/posix/socket_address.hpp"

#include <arpa/inet.h>
#include <cstddef>
#include <cstring>
#include <netinet/in.h>
#include <ostream>
#include <sys/un.h>

#include "berth/core/detail/assert.hpp"

namespace berth::posix {

socket_address::socket_address(const sockaddr* address, socklen_t length) {
    BERTH_ASSERT(address != nullptr || length == 0);
    BERTH_ASSERT(length <= sizeof(storage_));
    if (length > 0) std::memcpy(&storage_, address, length);
    length_ = length;
}

const sockaddr* socket_address::data() const {
    return reinterpret_cast<const sockaddr*>(&storage_);
}

std::uint16_t socket_address::port() const {
    if (family() == AF_INET) {
        sockaddr_in in{};
        std::memcpy(&in, &storage_, sizeof(in));
        return ntohs(in.sin_port);
    }
    if (family() == AF_INET6) {
        sockaddr_in6 in6{};
        std::memcpy(&in6, &storage_, sizeof(in6));
        return ntohs(in6.sin6_port);
    }
    return 0;
}

namespace {

std::string unix_to_string(const sockaddr_storage& storage, socklen_t length) {
    constexpr std::size_t path_offset = offsetof(sockaddr_un, sun_path);
    if (length <= path_offset) return "(unnamed)";
    sockaddr_un un{};
    std::memcpy(&un, &storage, sizeof(un));
    const std::size_t size = std::min<std::size_t>(length - path_offset, sizeof(un.sun_path));
    // An abstract name is exactly `size - 1` bytes after the leading NUL and may
    // itself contain NULs; a path ends at its first NUL.
    if (un.sun_path[0] == '\0') return "@" + std::string(un.sun_path + 1, size - 1);
    return std::string(un.sun_path, strnlen(un.sun_path, size));
}

}  // namespace

std::string socket_address::to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    switch (family()) {
        case AF_UNSPEC: return "(none)";
        case AF_INET: {
            sockaddr_in in{};
            std::memcpy(&in, &storage_, sizeof(in));
            inet_ntop(AF_INET, &in.sin_addr, text, sizeof(text));
            return std::string(text) + ":" + std::to_string(port());
        }
        case AF_INET6: {
            sockaddr_in6 in6{};
            std::memcpy(&in6, &storage_, sizeof(in6));
            inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
            std::string out = "[" + std::string(text);
            if (in6.sin6_scope_id != 0) out += "%" + std::to_string(in6.sin6_scope_id);
            return out + "]:" + std::to_string(port());
        }
        case AF_UNIX: return unix_to_string(storage_, length_);
        default: return "(address family " + std::to_string(family()) + ")";
    }
}

std::ostream& operator<<(std::ostream& os, const socket_address& address) {
    return os << address.to_string();
}

}  // namespace berth::posix
