#include "core/support/huge_page_pool.h"

#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <map>
#include <mutex>

#include <sys/mman.h>

namespace litestudio {

namespace {

constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;
constexpr std::size_t kAlignment = 64;

std::size_t roundUp(std::size_t bytes, std::size_t step) { return (bytes + step - 1) / step * step; }

struct Chunk {
    std::size_t bytes = 0;  // from its base
    std::size_t used = 0;   // carved so far
    std::size_t live = 0;   // arrays not yet released
};

class Pool {
public:
    void* allocate(std::size_t bytes) {
        bytes = roundUp(bytes > 0 ? bytes : 1, kAlignment);
        std::lock_guard<std::mutex> lock(mutex_);
        auto chunk = current_ != chunks_.end() && current_->second.used + bytes <= current_->second.bytes ? current_ : chunks_.end();
        if (chunk == chunks_.end()) {
            const std::size_t size = hugePageRoundedBytes(bytes);
            auto* base = static_cast<std::uint8_t*>(mapHugePages(size));
            if (!base) return nullptr;
            chunk = chunks_.emplace(reinterpret_cast<std::uintptr_t>(base), Chunk{size, 0, 0}).first;
            // New arrays go where more room is left.
            if (current_ == chunks_.end() || size - bytes > current_->second.bytes - current_->second.used) current_ = chunk;
            reserved_ += size;
        }
        void* pointer = reinterpret_cast<std::uint8_t*>(chunk->first) + chunk->second.used;
        chunk->second.used += bytes;
        ++chunk->second.live;
        return pointer;
    }

    void release(void* pointer) {
        if (!pointer) return;
        std::lock_guard<std::mutex> lock(mutex_);
        auto chunk = chunkHolding(pointer);
        if (chunk == chunks_.end() || chunk->second.live == 0) std::abort();  // not ours: a heap corruption to stop at once
        if (--chunk->second.live > 0) return;
        if (chunk == current_) current_ = chunks_.end();
        unmapHugePages(reinterpret_cast<void*>(chunk->first), chunk->second.bytes);
        reserved_ -= chunk->second.bytes;
        chunks_.erase(chunk);
    }

    bool owns(const void* pointer) {
        std::lock_guard<std::mutex> lock(mutex_);
        return chunkHolding(pointer) != chunks_.end();
    }

    std::size_t reserved() {
        std::lock_guard<std::mutex> lock(mutex_);
        return reserved_;
    }

private:
    using Chunks = std::map<std::uintptr_t, Chunk>;
    Chunks::iterator chunkHolding(const void* pointer) {
        const auto address = reinterpret_cast<std::uintptr_t>(pointer);
        auto chunk = chunks_.upper_bound(address);
        if (chunk == chunks_.begin()) return chunks_.end();
        chunk = std::prev(chunk);
        return address < chunk->first + chunk->second.bytes ? chunk : chunks_.end();
    }

    std::mutex mutex_;
    Chunks chunks_;  // by base address
    Chunks::iterator current_ = chunks_.end();
    std::size_t reserved_ = 0;
};

// Never destroyed: weights held by static objects are released after
// static destructors have run.
Pool& pool() {
    static Pool* instance = new Pool;
    return *instance;
}

}  // namespace

std::size_t hugePageRoundedBytes(std::size_t bytes) { return roundUp(bytes > 0 ? bytes : 1, kHugePageBytes); }

void* mapHugePages(std::size_t bytes) {
    bytes = hugePageRoundedBytes(bytes);
    // One huge page more than asked, so that a 2 MiB boundary falls inside;
    // the slack either side is unmapped.
    void* mapped = mmap(nullptr, bytes + kHugePageBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) return nullptr;
    auto* start = static_cast<std::uint8_t*>(mapped);
    auto* base = reinterpret_cast<std::uint8_t*>(roundUp(reinterpret_cast<std::uintptr_t>(start), kHugePageBytes));
    if (base > start) munmap(start, static_cast<std::size_t>(base - start));
    if (const std::size_t tail = kHugePageBytes - static_cast<std::size_t>(base - start)) munmap(base + bytes, tail);
    madvise(base, bytes, MADV_HUGEPAGE);  // advice: fine if refused
    return base;
}

void unmapHugePages(void* base, std::size_t bytes) { munmap(base, hugePageRoundedBytes(bytes)); }

void* allocateFromHugePagePool(std::size_t bytes) { return pool().allocate(bytes); }
void releaseToHugePagePool(void* pointer) { pool().release(pointer); }
bool isFromHugePagePool(const void* pointer) { return pool().owns(pointer); }
std::size_t hugePagePoolReservedBytes() { return pool().reserved(); }

}  // namespace litestudio
