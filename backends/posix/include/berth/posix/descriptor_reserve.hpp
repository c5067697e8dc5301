/// @file
/// One descriptor held back for shedding (SEMANTICS.md section 6): when accept
/// fails for lack of descriptors, freeing it lets the server accept queued clients
/// and close them at once, so they see a prompt close instead of a hang.
#pragma once

namespace berth::posix {

/// Owns the reserved descriptor (an open /dev/null) and closes it on destruction.
class descriptor_reserve {
public:
    /// Holds nothing until the first restore (the core asks for it: hold_reserve).
    descriptor_reserve() = default;
    descriptor_reserve(const descriptor_reserve&) = delete;
    descriptor_reserve& operator=(const descriptor_reserve&) = delete;
    /// Closes the descriptor if held.
    ~descriptor_reserve();

    /// Whether the descriptor is open now.
    [[nodiscard]] bool is_held() const { return fd_ >= 0; }
    /// Closes the reserved descriptor so the next accept can use its number.
    void release();
    /// Reopens it if released; returns whether it is held. Fails (false) while the
    /// process is still out of descriptors: call again once sockets are closed.
    /// @return whether it is held now.
    bool restore();

private:
    int fd_ = -1;
};

}  // namespace berth::posix
