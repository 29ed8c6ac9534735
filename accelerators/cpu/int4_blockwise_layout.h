#pragma once
// How the int4 blockwise FULLY_CONNECTED keeps its weights and one run's
// quantized rows; shared by the AVX-512 VNNI and the AMX code.

#include "accelerators/cpu/avx512_intrinsics.h"

#include <cstdint>
#include <vector>

#include "accelerators/cpu/huge_page_buffer.h"

namespace litestudio::cpu::int4_blockwise {

constexpr int64_t kBlock = 32;        // inputs per packed block
constexpr int64_t kGroup = 16;        // units in one vector
constexpr int64_t kTileGroups = 4;    // a tile: 64 units, packed together
constexpr int64_t kTileUnits = kGroup * kTileGroups;
constexpr int64_t kGroupBytes = kGroup * kBlock / 2;  // one group's block: 256 bytes

// The weights in the order the kernel reads them. For tile t, block b and
// group g, 256 bytes: four chunks of 64, where byte 4 * lane + i of chunk c
// holds input 4c + i of unit `lane` in its low nibble and input 16 + 4c + i
// in its high one, each as w + 8 (0..15, what vpdpbusd multiplies unsigned).
struct PackedWeights {
    int64_t units = 0, depth = 0, blocks = 0, tiles = 0;
    HugePageBuffer<uint8_t> nibbles;   // [tile][block][group][256]
    HugePageBuffer<uint16_t> scales;   // bfloat16, [tile][block][group][16]
    // Per unit: sum over blocks of scale x (sum of the block's weights). The
    // input's zero point times this is what the kernel takes off at the end
    // (XNNPACK folds the zero point the same way).
    std::vector<float> zeroPointSums;
    std::vector<float> bias;        // per unit, zeros without one
};

// Where one run keeps its quantized rows (in the op's scratch).
struct Job {
    const PackedWeights* weights = nullptr;
    const float* input = nullptr;
    float* output = nullptr;
    int64_t rows = 0, rowTiles = 0, rowsPerTask = 0;
    bool onAmx = false;                // whole 16s of rows on AMX (int4_blockwise_amx.h)
    int8_t* quantized = nullptr;   // [rows][depth]
    int32_t* corrections = nullptr;  // [rows][blocks]: 8 x the block's sum of q, for the +8 in the weights
    float* rowScales = nullptr;
    int32_t* zeroPoints = nullptr;
};

// Writes one row's sums for the 16 units from `unit` on: the input's zero
// point folded out, the row's scale and the bias applied; units past the
// end of the layer are left alone.
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline void storeUnits(const Job& job, int64_t row, int64_t unit,
                                                                             __m512 sum) {
    const PackedWeights& p = *job.weights;
    __mmask16 valid = p.units - unit >= kGroup ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (p.units - unit)) - 1);
    __m512 value = _mm512_fnmadd_ps(_mm512_set1_ps(static_cast<float>(job.zeroPoints[row])),
                                    _mm512_loadu_ps(p.zeroPointSums.data() + unit), sum);
    value = _mm512_fmadd_ps(value, _mm512_set1_ps(job.rowScales[row]), _mm512_loadu_ps(p.bias.data() + unit));
    _mm512_mask_storeu_ps(job.output + row * p.units + unit, valid, value);
}

}  // namespace litestudio::cpu::int4_blockwise
