// Replaces every replaceable global operator new and delete so that each
// allocation is counted. Counting the calls, not the bytes, is what matters: the
// core's promise is "no allocation per event", and one small allocation per cycle
// would be a broken promise however few bytes it took.
#include "alloc_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace berth::bench {

namespace {

// Relaxed: only the total matters, read by the thread that runs the benchmark.
std::atomic<std::uint64_t> allocation_count{0};

void* allocate(std::size_t size_bytes) noexcept {
    allocation_count.fetch_add(1, std::memory_order_relaxed);
    // new(0) must return a unique pointer; malloc(0) may return null.
    return std::malloc(size_bytes == 0 ? 1 : size_bytes);
}

void* allocate_aligned(std::size_t size_bytes, std::align_val_t alignment) noexcept {
    allocation_count.fetch_add(1, std::memory_order_relaxed);
    const auto align_bytes = static_cast<std::size_t>(alignment);
    // aligned_alloc wants a size that is a multiple of the alignment.
    const std::size_t rounded_bytes =
        (size_bytes == 0 ? align_bytes
                         : (size_bytes + align_bytes - 1) / align_bytes * align_bytes);
    return std::aligned_alloc(align_bytes, rounded_bytes);
}

void* allocate_or_throw(std::size_t size_bytes) {
    if (void* p = allocate(size_bytes)) return p;
    throw std::bad_alloc();
}

void* allocate_aligned_or_throw(std::size_t size_bytes, std::align_val_t alignment) {
    if (void* p = allocate_aligned(size_bytes, alignment)) return p;
    throw std::bad_alloc();
}

}  // namespace

std::uint64_t allocations() {
    return allocation_count.load(std::memory_order_relaxed);
}

}  // namespace berth::bench

using berth::bench::allocate;
using berth::bench::allocate_aligned;
using berth::bench::allocate_aligned_or_throw;
using berth::bench::allocate_or_throw;

void* operator new(std::size_t size_bytes) {
    return allocate_or_throw(size_bytes);
}
void* operator new[](std::size_t size_bytes) {
    return allocate_or_throw(size_bytes);
}
void* operator new(std::size_t size_bytes, const std::nothrow_t&) noexcept {
    return allocate(size_bytes);
}
void* operator new[](std::size_t size_bytes, const std::nothrow_t&) noexcept {
    return allocate(size_bytes);
}
void* operator new(std::size_t size_bytes, std::align_val_t alignment) {
    return allocate_aligned_or_throw(size_bytes, alignment);
}
void* operator new[](std::size_t size_bytes, std::align_val_t alignment) {
    return allocate_aligned_or_throw(size_bytes, alignment);
}
void* operator new(std::size_t size_bytes, std::align_val_t alignment,
                   const std::nothrow_t&) noexcept {
    return allocate_aligned(size_bytes, alignment);
}
void* operator new[](std::size_t size_bytes, std::align_val_t alignment,
                     const std::nothrow_t&) noexcept {
    return allocate_aligned(size_bytes, alignment);
}

void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
    std::free(p);
}
