// A count of heap allocations, for benchmarks that must prove the core allocates
// nothing in steady state. Linking alloc_counter.cpp replaces the global operator
// new and delete of the whole program, so link it into benchmark binaries only.
#pragma once

#include <cstdint>

namespace berth::bench {

/// Calls of any form of operator new since the program started.
[[nodiscard]] std::uint64_t allocations();

}  // namespace berth::bench
