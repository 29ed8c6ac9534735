// The huge-page pool: arrays on cache lines that never overlap and keep
// what is written to them; small arrays share a chunk; a chunk goes back to
// the system when its last array is released; mappings start on 2 MiB; and
// CacheLineVector takes large arrays from the pool, small ones from the heap.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/support/cache_line_vector.h"
#include "core/support/huge_page_pool.h"

namespace litestudio {
namespace {

constexpr std::size_t kHugePage = std::size_t{2} << 20;

TEST(HugePagePool, ArraysAreAlignedApartAndKeepTheirBytes) {
    const std::vector<std::size_t> sizes = {16384, 20000, 65536, 100, 300000, 1, 16448};
    std::vector<std::uint8_t*> arrays;
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        auto* array = static_cast<std::uint8_t*>(allocateFromHugePagePool(sizes[i]));
        ASSERT_NE(array, nullptr);
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(array) % 64, 0u) << "array " << i;
        EXPECT_TRUE(isFromHugePagePool(array));
        EXPECT_TRUE(isFromHugePagePool(array + sizes[i] - 1));
        std::memset(array, static_cast<int>(i + 1), sizes[i]);
        arrays.push_back(array);
    }
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        for (std::size_t j = 0; j < sizes.size(); ++j)
            if (i != j) {
                EXPECT_TRUE(arrays[i] + sizes[i] <= arrays[j] || arrays[j] + sizes[j] <= arrays[i]) << i << " and " << j << " overlap";
            }
        const bool kept = std::all_of(arrays[i], arrays[i] + sizes[i], [&](std::uint8_t byte) { return byte == i + 1; });
        EXPECT_TRUE(kept) << "array " << i << " lost its bytes";
    }
    std::cout << "7 arrays, " << hugePagePoolReservedBytes() << " bytes reserved\n";
    // Small arrays share one chunk: seven of them in at most two.
    EXPECT_LE(hugePagePoolReservedBytes(), 2 * kHugePage);
    for (std::uint8_t* array : arrays) releaseToHugePagePool(array);
}

TEST(HugePagePool, ChunksGoBackWhenTheirArraysAre) {
    const std::size_t before = hugePagePoolReservedBytes();
    // Larger than a chunk: a chunk of its own, rounded up to 2 MiB.
    void* large = allocateFromHugePagePool(5 * kHugePage + 1);
    ASSERT_NE(large, nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(large) % kHugePage, 0u);
    std::memset(large, 7, 5 * kHugePage + 1);
    const std::size_t held = hugePagePoolReservedBytes();
    std::cout << "reserved before " << before << ", holding a 10 MiB + 1 array " << held << "\n";
    EXPECT_GE(held, before + 6 * kHugePage);
    void* small = allocateFromHugePagePool(32768);
    ASSERT_NE(small, nullptr);
    releaseToHugePagePool(small);
    releaseToHugePagePool(large);
    const std::size_t after = hugePagePoolReservedBytes();
    std::cout << "after releasing both " << after << "\n";
    EXPECT_EQ(after, before);
    EXPECT_FALSE(isFromHugePagePool(&after));
}

TEST(HugePagePool, ReleasedSpaceIsCarvedAgain) {
    const std::size_t before = hugePagePoolReservedBytes();
    void* first = allocateFromHugePagePool(100000);
    void* second = allocateFromHugePagePool(100000);
    void* third = allocateFromHugePagePool(100000);
    releaseToHugePagePool(second);
    void* again = allocateFromHugePagePool(60000);  // fits where `second` was
    EXPECT_EQ(again, second);
    void* rest = allocateFromHugePagePool(40000);  // the rest of that block
    EXPECT_EQ(rest, static_cast<std::uint8_t*>(second) + 60032);
    for (void* array : {first, third, again, rest}) releaseToHugePagePool(array);
    EXPECT_EQ(hugePagePoolReservedBytes(), before);

    // A vector grown one value at a time to 8 MB: its old arrays' space is
    // carved again instead of left as holes.
    {
        CacheLineVector<float> grown;
        for (int i = 0; i < 2 * 1024 * 1024; ++i) grown.push_back(static_cast<float>(i));
        const std::size_t held = hugePagePoolReservedBytes() - before;
        std::cout << "a vector grown to 8 MiB: " << held / 1048576.0 << " MiB reserved\n";
        if (kHugePagePoolLeastBytes <= 16 * 1024) {
            EXPECT_LE(held, 3 * 8 * std::size_t{1048576});
        }
        EXPECT_EQ(grown[12345], 12345.0f);
    }
    EXPECT_EQ(hugePagePoolReservedBytes(), before);
}

TEST(HugePagePool, MappingsStartOnAHugePageAndAreZero) {
    for (std::size_t bytes : {std::size_t{1}, kHugePage, kHugePage + 4096, 3 * kHugePage}) {
        auto* mapped = static_cast<std::uint8_t*>(mapHugePages(bytes));
        ASSERT_NE(mapped, nullptr);
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(mapped) % kHugePage, 0u) << bytes << " bytes";
        const std::size_t rounded = hugePageRoundedBytes(bytes);
        EXPECT_EQ(rounded % kHugePage, 0u);
        EXPECT_GE(rounded, bytes);
        EXPECT_EQ(mapped[0], 0);
        EXPECT_EQ(mapped[rounded - 1], 0);
        mapped[rounded - 1] = 1;  // the whole rounded size is ours
        unmapHugePages(mapped, bytes);
    }
}

TEST(HugePagePool, TwoThreadsAllocatingAndReleasingAtOnce) {
    auto work = [](int seed, bool* good) {
        std::vector<std::pair<std::uint32_t*, std::size_t>> held;
        for (int round = 0; round < 2000; ++round) {
            const std::size_t count = 4096 + static_cast<std::size_t>((round * 7919 + seed * 104729) % 50000);
            auto* array = static_cast<std::uint32_t*>(allocateFromHugePagePool(count * sizeof(std::uint32_t)));
            if (!array) return;
            std::fill(array, array + count, static_cast<std::uint32_t>(seed * 100000 + round));
            held.emplace_back(array, count);
            if (held.size() > 8) {
                auto [oldest, oldestCount] = held.front();
                const auto expected = oldest[0];
                if (!std::all_of(oldest, oldest + oldestCount, [&](std::uint32_t value) { return value == expected; })) return;
                releaseToHugePagePool(oldest);
                held.erase(held.begin());
            }
        }
        for (auto [array, count] : held) releaseToHugePagePool(array);
        *good = true;
    };
    bool first = false, second = false;
    std::thread a(work, 1, &first), b(work, 2, &second);
    a.join();
    b.join();
    EXPECT_TRUE(first);
    EXPECT_TRUE(second);
}

TEST(CacheLineVector, LargeArraysComeFromThePool) {
    // Not under AddressSanitizer, which keeps every array on its heap.
    const bool pooled = kHugePagePoolLeastBytes <= 16 * 1024;
    std::cout << (pooled ? "arrays of 16 KiB and more from the pool\n" : "every array from the heap (AddressSanitizer)\n");
    CacheLineVector<float> small(16);
    CacheLineVector<float> large(16 * 1024 / sizeof(float));
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(small.data()) % 64, 0u);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(large.data()) % 64, 0u);
    EXPECT_FALSE(isFromHugePagePool(small.data()));
    EXPECT_EQ(isFromHugePagePool(large.data()), pooled);
    large.assign(large.size() * 3, 2.5f);  // grows: a new array, the old one released
    EXPECT_EQ(isFromHugePagePool(large.data()), pooled);
    EXPECT_EQ(large.back(), 2.5f);
}

}  // namespace
}  // namespace litestudio
