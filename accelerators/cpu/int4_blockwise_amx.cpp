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

// Two blocks at a time, so the two multiplies overlap: tmm0 and tmm5: 16
// activation rows x 32 bytes (one block each); tmm1 and tmm4: the blocks'
// weights for 16 units, 8 rows of 4 inputs x 16 units; tmm2 and tmm3: the
// int32 sums, 16 x 16.
TileConfig tileConfig() {
    TileConfig config;
    for (int activations : {0, 5}) config.rows[activations] = 16, config.bytesPerRow[activations] = 32;
    for (int weights : {1, 4}) config.rows[weights] = 8, config.bytesPerRow[weights] = 64;
    for (int sums : {2, 3}) config.rows[sums] = 16, config.bytesPerRow[sums] = 64;
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

LS_AMX void multiplyRowsAmx(const Job& job, int64_t row, int64_t tile) {
    const PackedWeights& p = *job.weights;
    static const TileConfig config = tileConfig();
    _tile_loadconfig(&config);
    constexpr int64_t kUnpackedBytes = 8 * 64;
    // A group's blocks, unpacked before any is multiplied: the tile loads
    // then never wait on the stores just made.
    thread_local std::vector<uint8_t> unpacked;
    unpacked.resize(static_cast<size_t>((p.blocks + 1) * kUnpackedBytes + 64));
    uint8_t* weights = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(unpacked.data()) + 63) & ~uintptr_t(63));
    alignas(64) int32_t products[2][16 * 16];
    const int8_t* activations = job.quantized + row * p.depth;
    for (int64_t group = 0; group < kTileGroups; ++group) {
        int64_t unit = tile * kTileUnits + group * kGroup;
        if (unit >= p.units) break;
        auto slotOf = [&](int64_t b) { return (tile * p.blocks + b) * kTileGroups + group; };
        for (int64_t b = 0; b < p.blocks; ++b) unpack(p.nibbles.data() + slotOf(b) * kGroupBytes, weights + b * kUnpackedBytes);
        compilerBarrier();
        __m512 sums[16];
        for (auto& sum : sums) sum = _mm512_setzero_ps();
        for (int64_t b = 0; b < p.blocks; b += 2) {
            bool pair = b + 1 < p.blocks;
            _tile_loadd(1, weights + b * kUnpackedBytes, 64);
            _tile_loadd(0, activations + b * kBlock, p.depth);
            _tile_zero(2);
            _tile_dpbssd(2, 0, 1);
            if (pair) {
                _tile_loadd(4, weights + (b + 1) * kUnpackedBytes, 64);
                _tile_loadd(5, activations + (b + 1) * kBlock, p.depth);
                _tile_zero(3);
                _tile_dpbssd(3, 5, 4);
            }
            _tile_stored(2, products[0], 64);
            if (pair) _tile_stored(3, products[1], 64);
            __m512 scale = blockScales(p, slotOf(b));
            for (int r = 0; r < 16; ++r)
                sums[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(products[0] + r * 16)), scale, sums[r]);
            if (pair) {
                scale = blockScales(p, slotOf(b + 1));
                for (int r = 0; r < 16; ++r)
                    sums[r] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_load_si512(products[1] + r * 16)), scale, sums[r]);
            }
        }
        for (int r = 0; r < 16; ++r) storeUnits(job, row + r, unit, sums[r]);
    }
    _tile_release();
}

}  // namespace litestudio::cpu::int4_blockwise
