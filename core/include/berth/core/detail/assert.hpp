// Assertions that state invariants. They stay on in release builds: a broken
// invariant in a server is a bug to stop at, not a state to run on in.
#pragma once

namespace berth::core::detail {

[[noreturn]] void assertion_failed(const char* condition, const char* file, int line);

}  // namespace berth::core::detail

#define BERTH_ASSERT(condition)         \
    ((condition) ? static_cast<void>(0) \
                 : ::berth::core::detail::assertion_failed(#condition, __FILE__, __LINE__))
