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
    std::size_t live = 0;   // arrays not yet released
};

// Every byte of a chunk is in an array or in a free block. Arrays take the
// smallest free block that holds them (a new chunk's whole space is one),
// and released space joins its free neighbours, so that a vector that
// grows, or packing that replaces an array with a reordered one, leaves no
// holes: pose detection's compile, whose sparse layers do both, had
// reserved 16 MiB for about 7 MB live without reuse.
class Pool {
public:
    void* allocate(std::size_t bytes) {
        bytes = roundUp(bytes > 0 ? bytes : 1, kAlignment);
        std::lock_guard<std::mutex> lock(mutex_);
        auto block = smallestFreeBlock(bytes);
        if (block == free_.end()) {
            const std::size_t size = hugePageRoundedBytes(bytes);
            void* base = mapHugePages(size);
            if (!base) return nullptr;
            const auto address = reinterpret_cast<std::uintptr_t>(base);
            chunks_.emplace(address, Chunk{size, 0});
            reserved_ += size;
            block = free_.emplace(address, size).first;
        }
        const auto [address, size] = *block;
        free_.erase(block);
        if (size > bytes) free_.emplace(address + bytes, size - bytes);
        ++chunkHolding(address)->second.live;
        arrays_.emplace(address, bytes);
        return reinterpret_cast<void*>(address);
    }

    void release(void* pointer) {
        if (!pointer) return;
        std::lock_guard<std::mutex> lock(mutex_);
        const auto address = reinterpret_cast<std::uintptr_t>(pointer);
        auto array = arrays_.find(address);
        if (array == arrays_.end()) std::abort();  // not ours: a heap corruption to stop at once
        const std::size_t bytes = array->second;
        arrays_.erase(array);
        auto chunk = chunkHolding(address);
        if (--chunk->second.live == 0) return unmap(chunk);
        addFreeBlock(chunk, address, bytes);
    }

    bool owns(const void* pointer) {
        std::lock_guard<std::mutex> lock(mutex_);
        return chunkHolding(reinterpret_cast<std::uintptr_t>(pointer)) != chunks_.end();
    }

    std::size_t reserved() {
        std::lock_guard<std::mutex> lock(mutex_);
        return reserved_;
    }

private:
    using Chunks = std::map<std::uintptr_t, Chunk>;
    using Blocks = std::map<std::uintptr_t, std::size_t>;  // address -> bytes

    Chunks::iterator chunkHolding(std::uintptr_t address) {
        auto chunk = chunks_.upper_bound(address);
        if (chunk == chunks_.begin()) return chunks_.end();
        chunk = std::prev(chunk);
        return address < chunk->first + chunk->second.bytes ? chunk : chunks_.end();
    }

    Blocks::iterator smallestFreeBlock(std::size_t bytes) {
        auto best = free_.end();
        for (auto block = free_.begin(); block != free_.end(); ++block)
            if (block->second >= bytes && (best == free_.end() || block->second < best->second)) best = block;
        return best;
    }

    // Joins the block to its free neighbours in the same chunk (chunks may
    // lie side by side in memory, but each is unmapped on its own).
    void addFreeBlock(Chunks::iterator chunk, std::uintptr_t address, std::size_t bytes) {
        auto next = free_.lower_bound(address);
        if (next != free_.end() && next->first == address + bytes && next->first < chunk->first + chunk->second.bytes) {
            bytes += next->second;
            next = free_.erase(next);
        }
        if (next != free_.begin()) {
            auto previous = std::prev(next);
            if (previous->first + previous->second == address && previous->first >= chunk->first) {
                address = previous->first;
                bytes += previous->second;
                free_.erase(previous);
            }
        }
        free_.emplace(address, bytes);
    }

    void unmap(Chunks::iterator chunk) {
        const std::uintptr_t begin = chunk->first, end = chunk->first + chunk->second.bytes;
        free_.erase(free_.lower_bound(begin), free_.lower_bound(end));
        unmapHugePages(reinterpret_cast<void*>(begin), chunk->second.bytes);
        reserved_ -= chunk->second.bytes;
        chunks_.erase(chunk);
    }

    std::mutex mutex_;
    Chunks chunks_;  // by base address
    Blocks arrays_;  // live ones
    Blocks free_;    // released or never used, inside chunks
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
