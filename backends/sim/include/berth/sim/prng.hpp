/// @file
/// The simulator's only source of randomness. The standard library's engines are
/// portable but its distributions are not (libstdc++ and libc++ map the same bits
/// to different values), so decisions use integer arithmetic of our own: a run
/// then replays bit for bit from its seed on any compiler.
#pragma once

#include <cstdint>

namespace berth::sim {

/// SplitMix64 step: turns one 64-bit value into a well mixed one. Used to derive
/// independent stream seeds from the world's seed.
/// @param x any value.
/// @return the mixed value.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/// Each fault source draws from its own stream, so turning one source on or off
/// does not shift the numbers every other source sees.
enum class stream : std::uint8_t {
    accept_faults = 1,  ///< injected accept errors and spurious wake-ups
    network = 2,        ///< wake-up latency
    clients = 3,        ///< reserved for clients' choices
    swarm = 4,          ///< swarm plans
    user = 5,           ///< for tests and user code (world::random)
};
/// One more than the largest stream: the size of an array indexed by stream.
inline constexpr int stream_count = 6;

/// xoshiro256**: small, fast, and good enough for choosing faults.
/// A plain value; copies continue the same sequence independently.
class prng {
public:
    /// @param seed any value; equal seeds give equal sequences.
    explicit constexpr prng(std::uint64_t seed) {
        std::uint64_t x = seed;
        for (std::uint64_t& s : state_) {
            x = mix64(x);
            s = x;
        }
    }

    /// @return the next 64 random bits.
    constexpr std::uint64_t next() {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }

    /// Uniform in [0, n). Precondition: n >= 1. Rejection keeps it unbiased; the
    /// loop ends after one draw with probability > 1/2 each time, and is capped.
    /// @param n the bound.
    /// @return a value below `n`.
    constexpr std::uint64_t below(std::uint64_t n) {
        const std::uint64_t threshold = (0 - n) % n;
        std::uint64_t r = next();
        for (int i = 0; i < 64 && r < threshold; ++i)
            r = next();
        return r % n;
    }

    /// Uniform in [lo, hi]. Precondition: lo <= hi.
    /// @param lo the least value.
    /// @param hi the greatest value.
    /// @return a value in the range.
    constexpr std::int64_t between(std::int64_t lo, std::int64_t hi) {
        const auto span = static_cast<std::uint64_t>(hi - lo) + 1;
        return lo + static_cast<std::int64_t>(span == 0 ? next() : below(span));
    }

    /// True with probability per_million / 1'000'000.
    /// @param per_million 0 never draws and is false; 1'000'000 or more is always true.
    /// @return the outcome.
    constexpr bool chance(std::uint32_t per_million) {
        return per_million > 0 && below(1'000'000) < per_million;
    }

private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) {
        return (x << k) | (x >> (64 - k));
    }

    std::uint64_t state_[4]{};
};

/// The generator of one stream of a world's seed: the same seed and stream always
/// give the same sequence, and streams do not shift each other.
/// @param seed the world's seed.
/// @param s which stream.
/// @return the stream's generator.
[[nodiscard]] constexpr prng make_stream(std::uint64_t seed, stream s) {
    return prng(mix64(seed ^ (static_cast<std::uint64_t>(s) * 0xd1b54a32d192ed03ULL)));
}

}  // namespace berth::sim
