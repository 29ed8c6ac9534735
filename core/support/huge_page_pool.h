#pragma once
// Memory on 2 MiB pages. A model's weights are read once per run, mostly
// from L3 or DRAM; on 4 KiB pages every page costs a TLB walk and stops the
// hardware prefetcher at its end. Linux backs these mappings with
// transparent huge pages where allowed ("madvise" mode, Debian's default).
//
// Packed weights share chunks of the pool, so a model's many small arrays
// do not each take 2 MiB; released space is carved again, and a chunk goes
// back to the system when its last array is released. Measured on Zen 4,
// weights and arena on huge pages: MobileNetV3-shaped 0.88x its time,
// EfficientNet-B0-shaped 0.92x, face landmark 0.94x, pose detection 0.985x
// and 0.983x more with its sparse 1x1s' nonzeros there
// (bench/compare_litert.sh's models all at or below 1.0x).

#include <cstddef>

namespace litestudio {

// Arrays smaller than this come from the ordinary heap: they stay in cache.
// Under AddressSanitizer every array stays on its heap, where a read past
// an array's end is caught.
#if defined(__SANITIZE_ADDRESS__)
#define LITESTUDIO_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LITESTUDIO_ADDRESS_SANITIZER 1
#endif
#endif
#if defined(LITESTUDIO_ADDRESS_SANITIZER)
inline constexpr std::size_t kHugePagePoolLeastBytes = static_cast<std::size_t>(-1);
#else
inline constexpr std::size_t kHugePagePoolLeastBytes = 16 * 1024;
#endif

// A zeroed mapping of `bytes` rounded up to 2 MiB, starting on a 2 MiB
// boundary; null when the system refuses. Released with unmapHugePages and
// the same size.
void* mapHugePages(std::size_t bytes);
void unmapHugePages(void* base, std::size_t bytes);
// What mapHugePages maps for `bytes`.
std::size_t hugePageRoundedBytes(std::size_t bytes);

// `bytes` from the pool, starting on a 64-byte boundary; null when the
// system refuses.
void* allocateFromHugePagePool(std::size_t bytes);
// Gives back what allocateFromHugePagePool returned.
void releaseToHugePagePool(void* pointer);
// Whether `pointer` lies in memory the pool holds.
bool isFromHugePagePool(const void* pointer);
// Bytes the pool holds from the system now.
std::size_t hugePagePoolReservedBytes();

}  // namespace litestudio
