#include "accelerators/cpu/int4_blockwise_amx.h"

#include "accelerators/cpu/avx512_intrinsics.h"
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <vector>

#include "accelerators/cpu/cpu_features.h"

namespace litestudio::cpu::int4_blockwise {

namespace {

// ldtilecfg's 64-byte layout (palette 1).
struct alignas(64) TileConfig {
    uint8_t palette = 1;
    uint8_t startRow = 0;
    uint8_t reserved[14] = {};
    uint16_t bytesPerRow[16] = {};
    uint8_t rows[16] = {};
};

// Two blocks at a time, pipelined: tmm0 and tmm5 hold 16 activation rows x
// 32 bytes (one block each); tmm1 and tmm4 the blocks' weights for 16 units,
// 8 rows of 4 inputs x 16 units; the int32 sums of one pair of blocks go to
// tmm2 and tmm3, of the next pair to tmm6 and tmm7, so the tile multiplies
// of a pair run while AVX-512 scales the sums of the one before.
TileConfig tileConfig() {
    TileConfig config;
    for (int activations : {0, 5}) config.rows[activations] = 16, config.bytesPerRow[activations] = 32;
    for (int weights : {1, 4}) config.rows[weights] = 8, config.bytesPerRow[weights] = 64;
    for (int sums : {2, 3, 6, 7}) config.rows[sums] = 16, config.bytesPerRow[sums] = 64;
    return config;
}

#define LS_AMX __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,amx-tile,amx-int8")))

// The tile loads are asm without a memory operand: keep the compiler from
// moving the stores of the unpacked weights past them.
inline void compilerBarrier() { asm volatile("" ::: "memory"); }

// Nibbles (w + 8) to signed bytes w: tdpbssd then needs no correction for
// the + 8, which leaves two vector instructions per row and block.
LS_AMX void unpack(const uint8_t* nibbles, uint8_t* bytes) {
    const __m512i mask = _mm512_set1_epi8(0x0f), eight = _mm512_set1_epi8(8);
    for (int c = 0; c < 4; ++c) {
        __m512i packed = _mm512_loadu_si512(nibbles + c * 64);
        _mm512_store_si512(bytes + c * 64, _mm512_sub_epi8(_mm512_and_si512(packed, mask), eight));
        _mm512_store_si512(bytes + (c + 4) * 64, _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(packed, 4), mask), eight));
    }
}

// The 16 units' bfloat16 scales of one block, as floats.
LS_AMX inline __m512 blockScales(const PackedWeights& p, int64_t slot) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(
        _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p.scales.data() + slot * kGroup))), 16));
}

}  // namespace

bool amxAvailable() {
    static const bool available = [] {
        unsigned a = 0, b = 0, c = 0, d = 0;
        if (!cpuHasAvx512Vnni() || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
        bool tile = d & (1u << 24), int8 = d & (1u << 25);
        if (!tile || !int8) return false;
        constexpr long kRequestPermission = 0x1023, kTileData = 18;  // ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA
        return syscall(SYS_arch_prctl, kRequestPermission, kTileData) == 0;
    }();
    return available;
}

// Adds one block's int32 sums (16 rows x 16 units), times the block's
// scales, to the float sums.
LS_AMX inline void accumulate(const int32_t* products, __m512 scale, __m512* sums) {
#pragma GCC unroll 16
    for (int r = 0; r < 16; ++r)
        sums[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(products + r * 16)), scale, sums[r]);
}

// Scales the stored sums of a pair of blocks (the first at `slot`; the
// second, if `pair`, one block on) into the float sums.
LS_AMX inline void scalePair(const PackedWeights& p, const int32_t (*products)[16 * 16], int64_t slot, bool pair, __m512* sums) {
    compilerBarrier();
    accumulate(products[0], blockScales(p, slot), sums);
    if (pair) accumulate(products[1], blockScales(p, slot + kTileGroups), sums);
    compilerBarrier();
}

// The tile numbers are part of each instruction (GCC's AMX intrinsics are
// asm macros), hence macros: multiply blocks b and b + 1 (if there is one)
// into the sums tiles `first` and `second`, or store those to `to`.
#define LS_MULTIPLY_PAIR(first, second, b)                                  \
    do {                                                                    \
        _tile_loadd(1, weights + (b) * kUnpackedBytes, 64);                 \
        _tile_loadd(0, activations + (b) * kBlock, p.depth);                \
        _tile_zero(first);                                                  \
        _tile_dpbssd(first, 0, 1);                                          \
        if ((b) + 1 < p.blocks) {                                           \
            _tile_loadd(4, weights + ((b) + 1) * kUnpackedBytes, 64);       \
            _tile_loadd(5, activations + ((b) + 1) * kBlock, p.depth);      \
            _tile_zero(second);                                             \
            _tile_dpbssd(second, 5, 4);                                     \
        }                                                                   \
    } while (0)
#define LS_STORE_PAIR(first, second, b, to)                                 \
    do {                                                                    \
        _tile_stored(first, (to)[0], 64);                                   \
        if ((b) + 1 < p.blocks) _tile_stored(second, (to)[1], 64);          \
    } while (0)

LS_AMX void multiplyRowsAmx(const Job& job, int64_t rowBegin, int64_t rowEnd, int64_t tile) {
    const PackedWeights& p = *job.weights;
    static const TileConfig config = tileConfig();
    compilerBarrier();  // ldtilecfg is asm too: the config's bytes must be in memory
    _tile_loadconfig(&config);
    constexpr int64_t kUnpackedBytes = 8 * 64;
    // A group's blocks, unpacked once for every row tile and before any is
    // multiplied: the tile loads then never wait on the stores just made.
    thread_local std::vector<uint8_t> unpacked;
    unpacked.resize(static_cast<size_t>((p.blocks + 1) * kUnpackedBytes + 64));
    uint8_t* weights = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(unpacked.data()) + 63) & ~uintptr_t(63));
    alignas(64) int32_t products[2][16 * 16];
    for (int64_t group = 0; group < kTileGroups; ++group) {
        int64_t unit = tile * kTileUnits + group * kGroup;
        if (unit >= p.units) break;
        auto slotOf = [&](int64_t b) { return (tile * p.blocks + b) * kTileGroups + group; };
        for (int64_t b = 0; b < p.blocks; ++b) unpack(p.nibbles.data() + slotOf(b) * kGroupBytes, weights + b * kUnpackedBytes);
        compilerBarrier();
        for (int64_t row = rowBegin; row + kAmxRows <= rowEnd; row += kAmxRows) {
            const int8_t* activations = job.quantized + row * p.depth;
            __m512 sums[16];
            for (auto& sum : sums) sum = _mm512_setzero_ps();
            LS_MULTIPLY_PAIR(2, 3, 0);
            for (int64_t b = 0; b < p.blocks; b += 4) {
                // Pair b is in tmm2/3: start pair b + 2 in tmm6/7, then scale pair b.
                if (b + 2 < p.blocks) LS_MULTIPLY_PAIR(6, 7, b + 2);
                LS_STORE_PAIR(2, 3, b, products);
                scalePair(p, products, slotOf(b), b + 1 < p.blocks, sums);
                if (b + 2 >= p.blocks) break;
                if (b + 4 < p.blocks) LS_MULTIPLY_PAIR(2, 3, b + 4);
                LS_STORE_PAIR(6, 7, b + 2, products);
                scalePair(p, products, slotOf(b + 2), b + 3 < p.blocks, sums);
            }
            for (int r = 0; r < 16; ++r) storeUnits(job, row + r, unit, sums[r]);
        }
    }
    _tile_release();
}

#undef LS_MULTIPLY_PAIR
#undef LS_STORE_PAIR

}  // namespace litestudio::cpu::int4_blockwise
