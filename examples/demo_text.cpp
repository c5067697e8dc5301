#include "demo_text.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstdio>

namespace berth::demo {

std::string time_text(core::time_ns t_ns) {
    constexpr core::time_ns ns_per_us = 1'000;
    const core::time_ns us = t_ns / ns_per_us;
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "t=%" PRId64 ".%03" PRId64 "ms", us / 1'000, us % 1'000);
    return buffer;
}

std::string duration_text(core::time_ns d_ns) {
    return time_text(d_ns).substr(2);
}

std::string id_text(core::connection_id id) {
    return std::to_string(id.index) + "." + std::to_string(id.generation);
}

std::string errno_text(int error_value) {
    switch (error_value) {
        case EAGAIN: return "EAGAIN";
        case EMFILE: return "EMFILE";
        case ENFILE: return "ENFILE";
        case ECONNABORTED: return "ECONNABORTED";
        case EBADF: return "EBADF";
        default: return "errno " + std::to_string(error_value);
    }
}

}  // namespace berth::demo
