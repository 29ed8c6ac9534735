#pragma once
// Memory for weights that a kernel streams through once per token, on huge
// pages (core/support/huge_page_pool.h): streaming 500 MB through 4 KiB
// pages costs a TLB walk every 4 KiB and stops the hardware prefetcher at
// each page end. Unlike a CacheLineVector it is not written here: the
// caller fills it, and its first touches decide on which thread the kernel
// zeroes each page.

#include <cstddef>
#include <memory>

#include "core/support/cache_line_vector.h"

namespace litestudio::cpu {

template <typename T>
class HugePageBuffer {
public:
    HugePageBuffer() = default;
    explicit HugePageBuffer(size_t count) : data_(CacheLineAllocator<T>().allocate(count), Release{count}), count_(count) {}
    T* data() { return data_.get(); }
    const T* data() const { return data_.get(); }
    size_t size() const { return count_; }
    T& operator[](size_t index) { return data_.get()[index]; }

private:
    struct Release {
        size_t count = 0;
        void operator()(T* pointer) const { CacheLineAllocator<T>().deallocate(pointer, count); }
    };
    std::unique_ptr<T, Release> data_;
    size_t count_ = 0;
};

}  // namespace litestudio::cpu
