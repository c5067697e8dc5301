#include "berth/core/detail/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace berth::core::detail {

void assertion_failed(const char* condition, const char* file, int line) {
    std::fprintf(stderr, "berth: assertion failed: %s (%s:%d)\n", condition, file, line);
    std::abort();
}

}  // namespace berth::core::detail
