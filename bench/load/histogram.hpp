// A fixed-size log-linear histogram of nanosecond latencies: exact below 128 ns,
// then 64 buckets per power of two (at most 1.6% error), up to 2^48 ns (78 hours).
// Recording is an index computation and an increment: no allocation, ever.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

namespace berth::load {

class histogram {
public:
    static constexpr int sub_bits = 6;
    static constexpr std::uint64_t sub_count = std::uint64_t{1} << sub_bits;
    static constexpr std::uint64_t exact_below = sub_count * 2;  // 128
    static constexpr int max_exponent = 47;                      // values below 2^48
    static constexpr std::size_t bucket_count =
        exact_below + static_cast<std::size_t>(max_exponent - sub_bits) * sub_count;

    void record(std::uint64_t ns) {
        ++buckets_[index_of(ns)];
        ++count_;
        sum_ += ns;
        max_ = std::max(max_, ns);
        min_ = std::min(min_, ns);
    }

    void merge(const histogram& other) {
        for (std::size_t i = 0; i < bucket_count; ++i)
            buckets_[i] += other.buckets_[i];
        count_ += other.count_;
        sum_ += other.sum_;
        max_ = std::max(max_, other.max_);
        min_ = std::min(min_, other.min_);
    }

    [[nodiscard]] std::uint64_t count() const { return count_; }
    [[nodiscard]] std::uint64_t max() const { return max_; }
    [[nodiscard]] std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
    [[nodiscard]] double mean() const {
        return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
    }

    /// The value at quantile q (0 < q <= 1): the middle of the bucket that holds the
    /// sample of rank ceil(q * count), clamped to the exact minimum and maximum.
    [[nodiscard]] std::uint64_t quantile(double q) const {
        if (count_ == 0) return 0;
        auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
        rank = std::clamp<std::uint64_t>(rank, 1, count_);
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < bucket_count; ++i) {
            seen += buckets_[i];
            if (seen >= rank) return std::clamp(middle_of(i), min(), max_);
        }
        return max_;
    }

private:
    static std::size_t index_of(std::uint64_t v) {
        if (v < exact_below) return static_cast<std::size_t>(v);
        const int top = std::min(static_cast<int>(std::bit_width(v)) - 1, max_exponent);
        if (top == max_exponent && std::bit_width(v) > max_exponent + 1) {
            return bucket_count - 1;
        }
        const std::uint64_t sub = (v >> (top - sub_bits)) - sub_count;
        return static_cast<std::size_t>(
            exact_below + static_cast<std::uint64_t>(top - sub_bits - 1) * sub_count + sub);
    }

    static std::uint64_t middle_of(std::size_t index) {
        if (index < exact_below) return index;
        const std::uint64_t rest = index - exact_below;
        const int top = static_cast<int>(rest / sub_count) + sub_bits + 1;
        const std::uint64_t sub = rest % sub_count;
        const std::uint64_t width = std::uint64_t{1} << (top - sub_bits);
        return ((sub_count + sub) << (top - sub_bits)) + width / 2;
    }

    std::array<std::uint64_t, bucket_count> buckets_{};
    std::uint64_t count_ = 0;
    std::uint64_t sum_ = 0;
    std::uint64_t max_ = 0;
    std::uint64_t min_ = UINT64_MAX;
};

}  // namespace berth::load
