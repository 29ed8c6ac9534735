#pragma once
// How the int4 blockwise FULLY_CONNECTED keeps its weights and one run's
// quantized rows; shared by the AVX-512 VNNI and the AMX code.

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
    int8_t* quantized = nullptr;   // [rows][depth]
    int32_t* corrections = nullptr;  // [rows][blocks]: 8 x the block's sum of q, for the +8 in the weights
    float* rowScales = nullptr;
    int32_t* zeroPoints = nullptr;
};

}  // namespace litestudio::cpu::int4_blockwise
