#include "berth/posix/socket_address.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
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

socket_address::socket_address(const address& a) {
    switch (a.family()) {
        case address::family_type::none: break;
        case address::family_type::ipv4: {
            sockaddr_in in{};
            in.sin_family = AF_INET;
            in.sin_port = htons(a.port());
            std::memcpy(&in.sin_addr, a.ip_bytes().data(), sizeof(in.sin_addr));
            std::memcpy(&storage_, &in, sizeof(in));
            length_ = sizeof(in);
            break;
        }
        case address::family_type::ipv6: {
            sockaddr_in6 in6{};
            in6.sin6_family = AF_INET6;
            in6.sin6_port = htons(a.port());
            in6.sin6_scope_id = a.scope_id();
            std::memcpy(&in6.sin6_addr, a.ip_bytes().data(), sizeof(in6.sin6_addr));
            std::memcpy(&storage_, &in6, sizeof(in6));
            length_ = sizeof(in6);
            break;
        }
        case address::family_type::unix_path:
        case address::family_type::unix_abstract:
        case address::family_type::unix_unnamed: {
            sockaddr_un un{};
            un.sun_family = AF_UNIX;
            const std::string_view name = a.unix_name();
            const bool abstract = a.family() == address::family_type::unix_abstract;
            const std::size_t offset = abstract ? 1 : 0;
            BERTH_ASSERT(name.size() + offset <= sizeof(un.sun_path));
            if (!name.empty()) std::memcpy(un.sun_path + offset, name.data(), name.size());
            std::memcpy(&storage_, &un, sizeof(un));
            // An abstract name is exactly its bytes after the leading NUL; a path ends
            // with a NUL where one fits; an unnamed socket has no path at all.
            std::size_t length = offsetof(sockaddr_un, sun_path);
            if (abstract) {
                length += 1 + name.size();
            } else if (a.family() == address::family_type::unix_path) {
                length += std::min(name.size() + 1, sizeof(un.sun_path));
            }
            length_ = static_cast<socklen_t>(length);
            break;
        }
    }
}

address socket_address::to_address() const {
    switch (family()) {
        case AF_INET: {
            sockaddr_in in{};
            std::memcpy(&in, &storage_, sizeof(in));
            std::array<std::uint8_t, 4> bytes{};
            std::memcpy(bytes.data(), &in.sin_addr, bytes.size());
            return address::ipv4(bytes, ntohs(in.sin_port));
        }
        case AF_INET6: {
            sockaddr_in6 in6{};
            std::memcpy(&in6, &storage_, sizeof(in6));
            std::array<std::uint8_t, 16> bytes{};
            std::memcpy(bytes.data(), &in6.sin6_addr, bytes.size());
            return address::ipv6(bytes, ntohs(in6.sin6_port), in6.sin6_scope_id);
        }
        case AF_UNIX: {
            constexpr std::size_t path_offset = offsetof(sockaddr_un, sun_path);
            if (length_ <= path_offset) return address::unix_unnamed();
            sockaddr_un un{};
            std::memcpy(&un, &storage_, sizeof(un));
            const std::size_t size =
                std::min<std::size_t>(length_ - path_offset, sizeof(un.sun_path));
            // An abstract name is exactly `size - 1` bytes after the leading NUL and may
            // itself contain NULs; a path ends at its first NUL.
            if (un.sun_path[0] == '\0') {
                return address::unix_abstract(std::string_view(un.sun_path + 1, size - 1));
            }
            return address::unix_path(std::string_view(un.sun_path, strnlen(un.sun_path, size)));
        }
        default: return {};
    }
}

std::string socket_address::to_string() const {
    const int f = family();
    if (f != AF_UNSPEC && f != AF_INET && f != AF_INET6 && f != AF_UNIX) {
        return "(address family " + std::to_string(f) + ")";
    }
    return to_address().to_string();
}

std::ostream& operator<<(std::ostream& os, const socket_address& address) {
    return os << address.to_string();
}

}  // namespace berth::posix
