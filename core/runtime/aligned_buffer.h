#pragma once
// Memory the runtime owns: arenas, variables and buffers that grow.

#include <cstddef>
#include <cstdint>
#include <memory>

namespace litestudio {

// Small blocks come from the heap, large ones straight from mmap on huge
// pages (core/support/huge_page_pool.h): those are zero pages the kernel
// hands out as they are touched, 2 MiB at a time, so planning a large arena
// costs no memory until a run uses it.
struct AlignedFree {
    size_t mappedBytes = 0;
    void operator()(uint8_t* data) const;
};

// Heap storage for what the arena cannot plan: tensors whose shapes are
// known only during a run. It grows and is kept, so a run with unchanged
// shapes allocates nothing.
struct GrowingBuffer {
    std::unique_ptr<uint8_t, AlignedFree> data;
    size_t capacity = 0;
    uint8_t* reserve(size_t bytes);
};

// Zeroed, kArenaAlignment-aligned memory with read slack past its end;
// null when the system refuses.
std::unique_ptr<uint8_t, AlignedFree> allocateAligned(size_t bytes);

}  // namespace litestudio
