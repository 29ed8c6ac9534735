#pragma once
// Memory for weights that a kernel streams through once per token: 2 MiB
// aligned and, where the kernel allows it (Linux transparent huge pages in
// "madvise" mode), backed by huge pages. Streaming 500 MB through 4 KiB
// pages costs a TLB walk every 4 KiB and stops the hardware prefetcher at
// each page end.

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace litestudio::cpu {

template <typename T>
class HugePageBuffer {
public:
    HugePageBuffer() = default;
    // Not written here: the caller fills it, and its first touches decide on
    // which thread the kernel zeroes each page.
    explicit HugePageBuffer(size_t count) : count_(count) {
        constexpr size_t kHugePage = size_t(2) << 20;
        size_t bytes = (count * sizeof(T) + kHugePage - 1) / kHugePage * kHugePage;
        data_.reset(static_cast<T*>(std::aligned_alloc(kHugePage, bytes > 0 ? bytes : kHugePage)));
        if (!data_) throw std::bad_alloc();
        madvise(data_.get(), bytes, MADV_HUGEPAGE);  // advice only: fine if refused
    }
    T* data() { return data_.get(); }
    const T* data() const { return data_.get(); }
    size_t size() const { return count_; }
    T& operator[](size_t index) { return data_.get()[index]; }

private:
    struct Free {
        void operator()(T* pointer) const { std::free(pointer); }
    };
    std::unique_ptr<T, Free> data_;
    size_t count_ = 0;
};

}  // namespace litestudio::cpu
