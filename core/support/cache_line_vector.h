#pragma once
// std::vector whose storage starts on a cache line. Kernels read packed
// weights a 64-byte vector at a time; from the heap's 16-byte alignment
// three allocations in four put every such load across two cache lines.
// Large arrays come from huge pages (huge_page_pool.h).

#include <cstddef>
#include <new>
#include <vector>

#include "core/support/huge_page_pool.h"

namespace litestudio {

inline constexpr std::size_t kCacheLineBytes = 64;

template <typename T>
struct CacheLineAllocator {
    using value_type = T;
    CacheLineAllocator() = default;
    template <typename U>
    CacheLineAllocator(const CacheLineAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) {
        if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
        if (n * sizeof(T) >= kHugePagePoolLeastBytes) {
            if (void* pooled = allocateFromHugePagePool(n * sizeof(T))) return static_cast<T*>(pooled);
            throw std::bad_alloc();
        }
        return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{kCacheLineBytes}));
    }
    void deallocate(T* p, std::size_t n) noexcept {
        if (n * sizeof(T) >= kHugePagePoolLeastBytes) return releaseToHugePagePool(p);
        ::operator delete(p, std::align_val_t{kCacheLineBytes});
    }
    template <typename U>
    bool operator==(const CacheLineAllocator<U>&) const noexcept { return true; }
};

template <typename T>
using CacheLineVector = std::vector<T, CacheLineAllocator<T>>;

}  // namespace litestudio
