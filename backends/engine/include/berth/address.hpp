/// @file
/// Socket addresses as berth's users see them, the same type on every backend: the
/// peer a handler is called with, what `listening_on_address()` returns, and where
/// `listening_on()` says the server listens. Plain values with no system types in
/// them, so the simulator holds the same ones as Asio and libuv.
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace berth {

/// An IPv4 or IPv6 address with its port, a Unix path, a Linux abstract name, an
/// unnamed Unix socket, or nothing.
///
/// A value type: copies are independent, and any thread may use its own copy.
class address {
public:
    /// What an address names; to_string()'s form follows each.
    enum class family_type : std::uint8_t {
        none,           ///< the empty address: "(none)"
        ipv4,           ///< "127.0.0.1:8080"
        ipv6,           ///< "[::1]:8080", "[fe80::1%2]:80"
        unix_path,      ///< "/run/x.sock"
        unix_abstract,  ///< "@name" (the name may hold any byte)
        unix_unnamed,   ///< "(unnamed)": an unbound Unix socket, as most clients are
    };
    /// The longest Unix path an address holds: all of Linux's sun_path, which a path
    /// may fill without a terminator.
    static constexpr std::size_t unix_name_max = 108;
    /// The longest abstract name: sun_path less its leading NUL.
    static constexpr std::size_t unix_abstract_name_max = unix_name_max - 1;

    /// The empty address, family none.
    address() = default;
    /// @param bytes the address in network order.
    /// @param port in host order.
    /// @return an IPv4 address.
    [[nodiscard]] static address ipv4(const std::array<std::uint8_t, 4>& bytes, std::uint16_t port);
    /// @param bytes the address in network order.
    /// @param port in host order.
    /// @param scope_id the interface index of a link-local address; 0 for none.
    /// @return an IPv6 address.
    [[nodiscard]] static address ipv6(const std::array<std::uint8_t, 16>& bytes, std::uint16_t port,
                                      std::uint32_t scope_id = 0);
    /// Precondition: at most unix_name_max bytes.
    /// @param path copied; need not be NUL-terminated.
    /// @return a Unix path address.
    [[nodiscard]] static address unix_path(std::string_view path);
    /// Precondition: at most unix_abstract_name_max bytes.
    /// @param name copied, without the leading '@' or NUL.
    /// @return a Linux abstract address.
    [[nodiscard]] static address unix_abstract(std::string_view name);
    /// An unbound Unix socket's address, as most Unix clients have.
    [[nodiscard]] static address unix_unnamed();

    /// Reads the forms to_string() writes ("127.0.0.1:80", "[::1]:80",
    /// "[fe80::1%2]:80") and the listen forms "unix:PATH" and "unix:@NAME"; nothing
    /// for anything else. Host names are not resolved.
    /// @param text the text; not kept.
    /// @return the address, or nothing when the text is none of those forms.
    [[nodiscard]] static std::optional<address> parse(std::string_view text);

    /// What the address names.
    [[nodiscard]] family_type family() const { return family_; }
    /// Whether it is IPv4 or IPv6.
    [[nodiscard]] bool is_inet() const {
        return family_ == family_type::ipv4 || family_ == family_type::ipv6;
    }
    /// Whether it is a Unix address: a path, an abstract name or unnamed.
    [[nodiscard]] bool is_unix() const {
        return family_ == family_type::unix_path || family_ == family_type::unix_abstract ||
               family_ == family_type::unix_unnamed;
    }
    /// The port of an IPv4 or IPv6 address, in host order; 0 otherwise.
    [[nodiscard]] std::uint16_t port() const { return port_; }
    /// The interface index of an IPv6 link-local address; 0 otherwise.
    [[nodiscard]] std::uint32_t scope_id() const { return scope_id_; }
    /// The address bytes in network order: 4 for IPv4, 16 for IPv6; empty otherwise.
    /// The view points into this address and is valid while it is.
    [[nodiscard]] std::string_view ip_bytes() const;
    /// The path (unix_path) or the name without '@' (unix_abstract); empty otherwise.
    /// The view points into this address and is valid while it is.
    [[nodiscard]] std::string_view unix_name() const;

    /// "127.0.0.1:8080", "[::1]:8080", "[fe80::1%2]:80", "/run/x.sock", "@name",
    /// "(unnamed)", "(none)".
    [[nodiscard]] std::string to_string() const;
    /// Writes to_string().
    /// @param os the stream written to.
    /// @param a the address written.
    /// @return `os`.
    friend std::ostream& operator<<(std::ostream& os, const address& a);
    /// Same family, bytes, port and scope.
    /// @param a,b the addresses compared.
    /// @return whether they name the same address.
    friend bool operator==(const address& a, const address& b);

private:
    family_type family_ = family_type::none;
    std::uint8_t length_ = 0;  ///< bytes of bytes_ in use
    std::uint16_t port_ = 0;
    std::uint32_t scope_id_ = 0;
    std::array<char, unix_name_max> bytes_{};
};

/// Where a server listens, as `listening_on()` reports it (SEMANTICS.md section 3):
/// computed once at creation, still valid after close.
struct listen_endpoint {
    bool is_unix = false;    ///< a Unix socket (path or abstract name), else TCP
    std::uint16_t port = 0;  ///< TCP: the port actually bound
    std::string path;        ///< Unix: the path as given, or "@name"

    /// "8080" or the path.
    [[nodiscard]] std::string to_string() const;
    /// Field by field.
    friend bool operator==(const listen_endpoint&, const listen_endpoint&) = default;
};

}  // namespace berth
