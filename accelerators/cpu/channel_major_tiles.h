#pragma once
// Tiles of up to 64 pixels turned channel-major, multiplied by pruned 1x1
// weights nonzero by nonzero, and turned back to NHWC: the pieces the sparse
// 1x1 kernel (sparse_pointwise_convolution.cpp) and the channel-major
// inverted residual block (sparse_inverted_residual.cpp) share. AVX-512.

#include "accelerators/cpu/avx512_intrinsics.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "core/kernels/kernel.h"
#include "core/support/cache_line_vector.h"

namespace litestudio::cpu::channel_major {

constexpr int kLanes = 16;
constexpr int kTilePixels = 64;
// A tile of 64 pixels can take up to 4 more (a 14x14 plane: 64 + 64 + 68)
// in a tail of its own, 8 floats a channel, so that those pixels do not
// cost a pass of their own: a pass over all nonzeros for one vector costs
// about 0.4 of one for four (pose detection's 14x14 layers 15-20 % of
// their time).
constexpr int kTailPixels = 4;
constexpr int kTailFloats = 8;
// Nonzero::offset x this = bytes to the channel's tile row; x 1 = bytes to
// its tail. Both are addressing-mode scales, so a nonzero costs no
// arithmetic to find either.
constexpr int kOffsetScale = kTilePixels * int(sizeof(float)) / (kTailFloats * int(sizeof(float)));
static_assert(kOffsetScale == 8, "an x86 address scales an index by at most 8");
// Pruned: at most this share of a 1x1's weights nonzero.
constexpr double kMostNonzeros = 0.4;

// Accumulator sets that take alternate nonzeros in multiplyChunk: enough
// for eight FMA chains in flight.
template <int Vectors>
constexpr int kAccumulatorSets = Vectors >= 3 ? 2 : 4;

struct Nonzero {
    int32_t offset;  // its input channel x kTailFloats x 4 bytes (see kOffsetScale)
    float value;
};
// multiplyNonzero reads both fields with one load: offset in the low half.
static_assert(sizeof(Nonzero) == 8 && offsetof(Nonzero, offset) == 0 && offsetof(Nonzero, value) == 4);

// A nonzero in half the bytes, where its weight is a float16 value (pruned
// models store float16 weights) and its chunk at most kMostHalfChunkChannels
// wide (see compactToHalves).
struct HalfNonzero {
    uint16_t offset;  // as Nonzero's
    uint16_t value;   // float16
};
static_assert(sizeof(HalfNonzero) == 4 && offsetof(HalfNonzero, offset) == 0 && offsetof(HalfNonzero, value) == 2);
constexpr int64_t kMostHalfChunkChannels = 65536 / (kTailFloats * int64_t(sizeof(float)));

// How far ahead of a row's end multiplyChunk asks for the nonzeros: 2 KB,
// 5-16 rows. A 7x7 layer's nonzeros (pose detection's 192 <-> 1152: 442
// KB each) are read once a run, from L3; 256 bytes ahead, pose detection
// ran 1.02x the time it does now (1-4 KB all within 0.5 % of each other).
constexpr int kPrefetchBytes = 2048;

// Rows are summed in windows of this many output channels, each window's
// by nonzero count: a row's loop then runs as often as the one before and
// its exit is predicted, where rows of 16-64 nonzeros in channel order
// mispredicted it once a row (1152 rows of 192 channels at 25 %: 8-12 %
// less time in a micro-benchmark; windows of 16 gave 3-5 %).
constexpr int64_t kOrderWindow = 64;

// 1x1 weights [out][in] as nonzeros, in chunks of input channels (each
// chunk's tile rows of 64 pixels stay in L1). A chunk's rows are summed by
// position: position p is output channel rowChannel[p], a channel of the
// same window (kOrderWindow positions from a range start, see
// packNonzeros), so a caller's range of positions is its range of channels.
struct SparseMatrix {
    int64_t inputChannels = 0, outputChannels = 0, chunkChannels = 0, chunks = 0;
    // On cache lines and huge pages (core/support/huge_page_pool.h): pose
    // detection 0.983x its time (six processes).
    CacheLineVector<int32_t> rowStart;    // [chunk][position + 1] into nonzeros
    CacheLineVector<int32_t> rowChannel;  // [chunk][position]
    CacheLineVector<Nonzero> nonzeros;          // empty where they are halves
    CacheLineVector<HalfNonzero> halfNonzeros;  // (compactToHalves)
    std::vector<float> bias;
};

// m's nonzeros as halves, where each weight is a float16 value and each
// offset fits; then m.nonzeros is emptied. Returns whether it did.
// packNonzeros calls it. A 7x7 plane's layer reads its nonzeros once a
// run, from L3 or memory (a pruned model's 5.5 MB of them do not stay in
// L2): in halves, pose detection's 7x7 192 <-> 1152 layers went
// 0.109-0.131 -> 0.100-0.119 ms (14 alternating rounds), its outputs bit
// for bit the same, its peak RSS 49.3 -> 46.9 MiB. Its channel-major
// blocks, whose few nonzeros a row stay in L1, run the same either way
// (within 2 %, 12 rounds).
bool compactToHalves(SparseMatrix& m);

// m's rows, gathered in channel order (rowStart by channel, rowChannel
// empty), put in the order they are summed: within each window of
// kOrderWindow channels from each multiple of `rangeChannels` (0 for one
// range of all), by nonzero count in each chunk, ties in channel order.
void orderRows(int64_t rangeChannels, SparseMatrix& m);

// The 1x1 filter at input `index` of `context` ([out, 1, 1, inputChannels])
// as nonzeros in chunks of `chunkChannels` input channels, with its bias
// (input index + 1); the rows ordered within windows of kOrderWindow that
// start at each multiple of `rangeChannels` (the ranges callers sum; 0 for
// one range of all). An error for a filter of another shape, or one whose
// nonzeros or tile offsets would not fit int32.
Status packNonzeros(const KernelContext& context, size_t index, int64_t inputChannels, int64_t chunkChannels, int64_t rangeChannels,
                    SparseMatrix& matrix);

// How channel-major results go back to NHWC rows of `rowChannels`: clamped
// to [low, high]; with a residual, plus the residual's value, clamped again.
struct TileWrite {
    int64_t rowChannels = 0;
    float low = 0, high = 0;
    bool residual = false;
    float residualLow = 0, residualHigh = 0;
};

// The 4x4 transpose of four vectors within each 128-bit lane: lane l of
// out[k] holds element k of lane l of in[0], in[1], in[2] and in[3].
__attribute__((target("avx512f"), always_inline)) inline void transposeInLanes(const __m512 in[4], __m512 out[4]) {
    const __m512 t0 = _mm512_unpacklo_ps(in[0], in[1]), t1 = _mm512_unpackhi_ps(in[0], in[1]);
    const __m512 t2 = _mm512_unpacklo_ps(in[2], in[3]), t3 = _mm512_unpackhi_ps(in[2], in[3]);
    out[0] = _mm512_shuffle_ps(t0, t2, 0x44);
    out[1] = _mm512_shuffle_ps(t0, t2, 0xEE);
    out[2] = _mm512_shuffle_ps(t1, t3, 0x44);
    out[3] = _mm512_shuffle_ps(t1, t3, 0xEE);
}

// The transpose of 16 rows of 16 floats in memory, `stride` floats apart:
// columns[j][i] = rows[i][j]. Each vector is gathered from four rows'
// 128-bit quarters by loads that insert them (load ports and port 0), so
// that only the in-lane 4x4 transposes take the shuffle port: 32 shuffles
// instead of the 64 of a transpose in registers (a 16x16 block 47 -> 32
// ns alone).
// transposeQuarterFrom makes quarter q of it (columns[4q .. 4q + 3], from
// the rows' floats 4q .. 4q + 3), transpose16x16From all four.
__attribute__((target("avx512f"), always_inline)) inline void transposeQuarterFrom(const float* rows, int64_t stride, int quarter,
                                                                                  __m512 columns[16]) {
    __m512 a[4];
    for (int t = 0; t < 4; ++t) {
        const float* at = rows + t * stride + 4 * quarter;
        __m512 v = _mm512_castps128_ps512(_mm_loadu_ps(at));
        v = _mm512_insertf32x4(v, _mm_loadu_ps(at + 4 * stride), 1);
        v = _mm512_insertf32x4(v, _mm_loadu_ps(at + 8 * stride), 2);
        a[t] = _mm512_insertf32x4(v, _mm_loadu_ps(at + 12 * stride), 3);
    }
    transposeInLanes(a, columns + 4 * quarter);
}

__attribute__((target("avx512f"), always_inline)) inline void transpose16x16From(const float* rows, int64_t stride, __m512 columns[16]) {
    for (int quarter = 0; quarter < 4; ++quarter) transposeQuarterFrom(rows, stride, quarter, columns);
}

// Pixels [firstPixel, firstPixel + 4) x channels [c, c + width) of NHWC
// rows `stride` apart, zeros for pixels from `valid` on, as
// columns[channel - c] = that channel's 4 pixels: a 7x7 plane's 49th pixel
// and a 14x14 plane's last four, which a 16-pixel block (padBlock and a
// whole transpose) would take four times the work for.
__attribute__((target("avx512f"), always_inline)) inline void transposeFourPixels(const float* input, int64_t stride, int firstPixel,
                                                                                 int valid, int64_t c, int width, __m128 columns[16]) {
    const auto lanes = static_cast<__mmask16>((1u << width) - 1u);
    __m512 a[4];
    for (int i = 0; i < 4; ++i) {
        const int pixel = firstPixel + i;
        a[i] = _mm512_maskz_loadu_ps(pixel < valid ? lanes : __mmask16(0), input + pixel * stride + c);
    }
    // Lane l of u[k] holds channel 4l + k's four pixels.
    __m512 u[4];
    transposeInLanes(a, u);
    for (int k = 0; k < 4; ++k) {
        columns[k] = _mm512_castps512_ps128(u[k]);
        columns[4 + k] = _mm512_extractf32x4_ps(u[k], 1);
        columns[8 + k] = _mm512_extractf32x4_ps(u[k], 2);
        columns[12 + k] = _mm512_extractf32x4_ps(u[k], 3);
    }
}

// Pixels [firstPixel, firstPixel + 16) x channels [c, c + width) of NHWC
// rows `stride` apart into padded[16][16], zeros for pixels from `valid` on
// and channels past `width`: a partial block, ready to transpose.
__attribute__((target("avx512f"), always_inline)) inline void padBlock(const float* input, int64_t stride, int firstPixel, int valid,
                                                                      int64_t c, int width, float* padded) {
    const auto mask = static_cast<__mmask16>((1u << width) - 1u);
    for (int i = 0; i < kLanes; ++i) {
        const int pixel = firstPixel + i;
        _mm512_store_ps(padded + i * kLanes, pixel < valid ? _mm512_maskz_loadu_ps(mask, input + pixel * stride + c) : _mm512_setzero_ps());
    }
}

// Pixels [firstPixel, firstPixel + 16) x channels [c, c + width), width at
// most 8, of NHWC rows `stride` apart as columns[channel - c][pixel], zeros
// for pixels from `valid` on. Pixel i and i + 8 share a vector (a half
// each), so an 8x8 transpose in both halves at once does it: 24 shuffles
// and no scratch, where padBlock and the 16x16 transpose took 16 stores,
// 64 loads and 80 shuffles and inserts (24- and 40-channel layers have
// such a block every 16 pixels).
__attribute__((target("avx512f"), always_inline)) inline void transposeNarrowBlock(const float* input, int64_t stride, int firstPixel,
                                                                                  int valid, int64_t c, int width, __m512 columns[8]) {
    const auto lanes = static_cast<__mmask16>((1u << width) - 1u);
    __m512 r[8];
    for (int i = 0; i < 8; ++i) {
        // Pixel i + 8 goes into the upper half by a masked load from 8
        // floats before it (lanes left out are not read).
        const int low = firstPixel + i, high = low + 8;
        const __m512 first = _mm512_maskz_loadu_ps(low < valid ? lanes : __mmask16(0), input + low * stride + c);
        r[i] = _mm512_mask_loadu_ps(first, high < valid ? static_cast<__mmask16>(lanes << 8) : __mmask16(0), input + high * stride + c - 8);
    }
    __m512 u[8];
    transposeInLanes(r, u);
    transposeInLanes(r + 4, u + 4);
    // u[k] holds channel k's pixels 0-3 and channel k + 4's 4-7 of pixels
    // 0-3 (lanes 0-7) and of 8-11 (lanes 8-15); u[k + 4] the same for pixels
    // 4-7 and 12-15.
    const __m512i first = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27);
    const __m512i second = _mm512_setr_epi32(4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31);
    for (int k = 0; k < 4; ++k) {
        columns[k] = _mm512_permutex2var_ps(u[k], first, u[k + 4]);
        columns[k + 4] = _mm512_permutex2var_ps(u[k], second, u[k + 4]);
    }
}

// Pixels [64, valid) (at most kTailPixels) x channels [0, channels) of NHWC
// rows `stride` apart into tail[channel][0, 4), rows of kTailFloats.
__attribute__((target("avx512f"))) inline void toChannelMajorTail(const float* input, int64_t stride, int valid, int64_t channels,
                                                                  float* tail) {
    for (int64_t c = 0; c < channels; c += kLanes) {
        const int width = static_cast<int>(std::min<int64_t>(kLanes, channels - c));
        __m128 columns[16];
        transposeFourPixels(input, stride, kTilePixels, valid, c, width, columns);
        for (int i = 0; i < width; ++i) _mm_store_ps(tail + (c + i) * kTailFloats, columns[i]);
    }
}

// Pixels [0, valid) x channels [0, channels) of NHWC rows `stride` apart into
// tile[channel][pixel] (rows of `rowFloats`, 64 unless said); pixels past
// `valid` become zeros as far as the vector they end in. A tile of more
// than 64 pixels (Vectors 4) puts the rest in `tail`.
template <int Vectors>
__attribute__((target("avx512f"))) inline void toChannelMajor(const float* input, int64_t stride, int valid, int64_t channels, float* tile,
                                                              float* tail = nullptr, int64_t rowFloats = kTilePixels) {
    if (Vectors == 4 && valid > kTilePixels) toChannelMajorTail(input, stride, valid, channels, tail);
    for (int block = 0; block < Vectors; ++block) {
        for (int64_t c = 0; c < channels; c += kLanes) {
            const int width = static_cast<int>(std::min<int64_t>(kLanes, channels - c));
            if (valid - block * kLanes <= 4) {
                __m128 columns[16];
                transposeFourPixels(input, stride, block * kLanes, valid, c, width, columns);
                for (int i = 0; i < width; ++i) _mm512_store_ps(tile + (c + i) * rowFloats + block * kLanes, _mm512_zextps128_ps512(columns[i]));
                continue;
            }
            if (width <= 8) {
                __m512 columns[8];
                transposeNarrowBlock(input, stride, block * kLanes, valid, c, width, columns);
                for (int i = 0; i < width; ++i) _mm512_store_ps(tile + (c + i) * rowFloats + block * kLanes, columns[i]);
                continue;
            }
            const float* rows = input + block * kLanes * stride + c;
            int64_t rowStride = stride;
            alignas(64) float padded[kLanes * kLanes];
            if (width < kLanes || (block + 1) * kLanes > valid) {
                padBlock(input, stride, block * kLanes, valid, c, width, padded);
                rows = padded;
                rowStride = kLanes;
            }
            __m512 columns[16];
            transpose16x16From(rows, rowStride, columns);
            float* at = tile + c * rowFloats + block * kLanes;
            if (width == kLanes) {
#pragma GCC unroll 16
                for (int i = 0; i < kLanes; ++i) _mm512_store_ps(at + i * rowFloats, columns[i]);  // in registers, as in toPixelMajor
                continue;
            }
            for (int i = 0; i < width; ++i) _mm512_store_ps(at + i * rowFloats, columns[i]);
        }
    }
}

// TileWrite's clamps as vectors, made once a call (a store through float*
// could alias the struct's floats, so they would be reloaded each time).
struct WriteClamps {
    __m512 low, high, residualLow, residualHigh;
};

__attribute__((target("avx512f"), always_inline)) inline WriteClamps writeClampsOf(const TileWrite& w) {
    return {_mm512_set1_ps(w.low), _mm512_set1_ps(w.high), _mm512_set1_ps(w.residualLow), _mm512_set1_ps(w.residualHigh)};
}

// One vector of sums stored at `at` (its `mask` lanes): clamped; with a
// residual, plus the residual's lanes at the same place, clamped again.
__attribute__((target("avx512f"), always_inline)) inline void writeFinished(const WriteClamps& k, __m512 sums, __mmask16 mask,
                                                                           const float* residual, float* at) {
    __m512 value = _mm512_min_ps(_mm512_max_ps(sums, k.low), k.high);
    if (residual) {
        value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(mask, residual));
        value = _mm512_min_ps(_mm512_max_ps(value, k.residualLow), k.residualHigh);
    }
    _mm512_mask_storeu_ps(at, mask, value);
}

// Pixels [0, valid), `stride` (1 or 2) apart from `first`, of channels
// [0, channels) of a channel-major tensor (planes `planeFloats` apart)
// into tile[channel][pixel] (rows of `rowFloats`); pixels past `valid`
// become zeros as far as the vector they end in. A plane's row is already
// a tile row: copied, or its even or odd columns picked out of two loads.
template <int Vectors>
__attribute__((target("avx512f"))) inline void fromPlanes(const float* first, int64_t planeFloats, int stride, int valid, int64_t channels,
                                                          float* tile, int64_t rowFloats = kTilePixels) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (int64_t c = 0; c < channels; ++c) {
        const float* plane = first + c * planeFloats;
        for (int v = 0; v < Vectors; ++v) {
            const int lanes = std::clamp(valid - v * kLanes, 0, kLanes);
            __m512 x;
            if (stride == 1) {
                x = _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << lanes) - 1u), plane + v * kLanes);
            } else {
                // Element 2j of the 32 read is pixel j: the reads stop at the last pixel's.
                const int reach = lanes > 0 ? 2 * lanes - 1 : 0;
                const __m512 low = _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << std::min(reach, kLanes)) - 1u), plane + 2 * v * kLanes);
                const __m512 high = _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << std::max(reach - kLanes, 0)) - 1u),
                                                          plane + 2 * v * kLanes + kLanes);
                x = _mm512_permutex2var_ps(low, even, high);
            }
            _mm512_store_ps(tile + c * rowFloats + v * kLanes, x);
        }
    }
}

// Channels [0, channels) of tile rows (64 floats apart) for pixels
// [0, valid) into a channel-major tensor's planes (`planeFloats` apart)
// from `out`: clamped; with a residual (planes like the output's), plus
// its value, clamped again.
template <int Vectors>
__attribute__((target("avx512f"))) inline void toPlanes(const TileWrite& w, const float* tile, int64_t channels, int valid,
                                                        int64_t planeFloats, const float* residual, float* out) {
    const WriteClamps clamps = writeClampsOf(w);
    for (int64_t c = 0; c < channels; ++c)
        for (int v = 0; v < Vectors; ++v) {
            const auto mask = static_cast<__mmask16>((1u << std::clamp(valid - v * kLanes, 0, kLanes)) - 1u);
            const int64_t at = c * planeFloats + v * kLanes;
            writeFinished(clamps, _mm512_load_ps(tile + c * kTilePixels + v * kLanes), mask, residual ? residual + at : nullptr, out + at);
        }
}

// Channels [first, end) of tile[channel - firstRow][pixel], clamped, back
// to NHWC rows of `outputChannels` for pixels [0, valid); with a residual
// (rows like the output's), each value plus the residual's, clamped again.
// A tile of more than 64 pixels takes the rest from `tail` (rows of
// kTailFloats, like the tile's, with 8 readable floats past the last).
template <int Vectors>
__attribute__((target("avx512f"))) inline void toPixelMajor(const TileWrite& w, const float* tile, int64_t firstRow, int64_t first, int64_t end,
                                                    int valid, const float* residual, float* output, const float* tail = nullptr) {
    const int64_t outputChannels = w.rowChannels;
    const WriteClamps clamps = writeClampsOf(w);
    const int blocks = Vectors == 4 && valid > kTilePixels ? Vectors + 1 : Vectors;
    for (int64_t c = first; c < end; c += kLanes) {
        const auto mask = static_cast<__mmask16>((1u << std::min<int64_t>(kLanes, end - c)) - 1u);
        for (int block = 0; block < blocks; ++block) {
            __m512 rows[16];
            const int pixels = std::min(kLanes, valid - block * kLanes);
            const float* from = block < Vectors ? tile + (c - firstRow) * kTilePixels + block * kLanes : tail + (c - firstRow) * kTailFloats;
            const int64_t stride = block < Vectors ? kTilePixels : kTailFloats;
            float* out = output + block * kLanes * outputChannels + c;
            const float* added = residual ? residual + block * kLanes * outputChannels + c : nullptr;
            if (pixels == kLanes) {
                // A whole block with constant trip counts, so that its 16
                // vectors stay in registers (a loop to `pixels` kept them on
                // the stack: 16 more stores and loads a block).
                transpose16x16From(from, stride, rows);
#pragma GCC unroll 16
                for (int i = 0; i < kLanes; ++i)
                    writeFinished(clamps, rows[i], mask, added ? added + i * outputChannels : nullptr, out + i * outputChannels);
                continue;
            }
            // Only the quarters that hold pixels (a 7x7 plane's last block has one).
            for (int quarter = 0; quarter * 4 < pixels; ++quarter) transposeQuarterFrom(from, stride, quarter, rows);
            for (int i = 0; i < pixels; ++i)
                writeFinished(clamps, rows[i], mask, added ? added + i * outputChannels : nullptr, out + i * outputChannels);
        }
    }
}

// Finished sums stored straight into rows of their own, `rowFloats` apart:
// clamped, and the last vector only in `lastVectorLanes` (zeros past).
struct ClampedRows {
    int64_t rowFloats = kTilePixels;
    float low = 0, high = 0;
    __mmask16 lastVectorLanes = 0xffff;
};

// Where a tile's last (up to 4) pixels are: none, the 16 bytes after its
// Vectors in the row, or the tile's tail.
enum class Quarter { None, InRow, Tail };

// A nonzero's tile offset, and its weight in every lane.
struct DecodedNonzero {
    int64_t offset;
    __m512 weight;
};

__attribute__((target("avx512f"), always_inline)) inline DecodedNonzero decode(const Nonzero& nonzero) {
    // One 8-byte load for both fields, the weight broadcast from a general
    // register: the loop is bound by loads (one 64-byte load a cycle on the
    // AMD EPYC), and a load of its own for each field cost 11 % more time
    // a nonzero in a micro-benchmark.
    // The empty asm keeps `packed` in a register: once this was a function
    // of its own, GCC split it back into a load of each field, and float32
    // pruned 1x1s ran 4-8 % slower until it came back.
    uint64_t packed;
    std::memcpy(&packed, &nonzero, sizeof packed);
    asm("" : "+r"(packed));
    return {static_cast<int32_t>(static_cast<uint32_t>(packed)), _mm512_castsi512_ps(_mm512_set1_epi32(static_cast<int32_t>(packed >> 32)))};
}

__attribute__((target("avx512f"), always_inline)) inline DecodedNonzero decode(const HalfNonzero& nonzero) {
    // The conversion costs no time: alone, with its nonzeros in L2, a 7x7
    // 192 -> 1152 layer took 0.079 ms either way (the loop waits on loads).
    // One load, as for Nonzero: split in two, a float16 7x7 192 -> 1152
    // layer took 1.07x the time and a 14x14 112 -> 672 one 1.05x.
    uint32_t packed;
    std::memcpy(&packed, &nonzero, sizeof packed);
    asm("" : "+r"(packed));
    return {static_cast<int64_t>(packed & 0xffffu), _mm512_cvtph_ps(_mm256_set1_epi16(static_cast<int16_t>(packed >> 16)))};
}

// acc (+ quarter) += nonzero's weight x its input channel's row of the tile.
template <int Vectors, Quarter Last, typename Entry>
__attribute__((target("avx512f"), always_inline)) inline void multiplyNonzero(const char* tile, const char* tail, const Entry& nonzero,
                                                                             __m512* acc, __m512& quarter) {
    const DecodedNonzero d = decode(nonzero);
    const auto* x = reinterpret_cast<const float*>(tile + d.offset * kOffsetScale);
#pragma GCC unroll 4
    for (int v = 0; v < Vectors; ++v) acc[v] = _mm512_fmadd_ps(d.weight, _mm512_load_ps(x + v * kLanes), acc[v]);
    // 16 bytes a nonzero instead of 64: the loads from L1 are what limits this loop.
    if constexpr (Last == Quarter::InRow) quarter = _mm512_fmadd_ps(d.weight, _mm512_zextps128_ps512(_mm_load_ps(x + Vectors * kLanes)), quarter);
    if constexpr (Last == Quarter::Tail)
        quarter = _mm512_fmadd_ps(d.weight, _mm512_zextps128_ps512(_mm_load_ps(reinterpret_cast<const float*>(tail + d.offset))), quarter);
}

// A tile's tail and its sums' tail (rows of kTailFloats), for Quarter::Tail.
struct TileTail {
    float* input = nullptr;
    float* sums = nullptr;
};

// Output channels [first, end) of one chunk (in the chunk's row order): sums[c - firstRow] (+)=
// nonzeros . tile, over Vectors vectors of 16 pixels and the up to 4 pixels
// `Last` says (the sums of a Quarter::Tail in tail->sums). The first chunk
// summed into `sums` starts from the bias (or from zero, for an input part
// after the first). Clamped: each row is final, written as `clamped` says.
// multiplyChunk over `nonzeros`, w's in the form Entry.
template <int Vectors, int Sets, bool Clamped, Quarter Last, typename Entry>
__attribute__((target("avx512f"), always_inline)) inline void multiplyRows(const SparseMatrix& w, const Entry* nonzeros, int64_t chunk,
                                                                          bool starts, bool withBias, const float* tile, float* sums,
                                                                          int64_t firstRow, int64_t first, int64_t end,
                                                                          const ClampedRows* clamped, const TileTail* tail) {
    static_assert(!(Clamped && Last != Quarter::None), "a clamped row has whole vectors");
    constexpr bool kQuarter = Last != Quarter::None;
    const int64_t rowFloats = Clamped ? clamped->rowFloats : kTilePixels;
    // Held here: read through `clamped` they were loaded again after every
    // row's stores (floats that may alias the rows), six broadcast loads a
    // row in a loop bound by loads.
    const __m512 lowest = _mm512_set1_ps(Clamped ? clamped->low : 0.0f), highest = _mm512_set1_ps(Clamped ? clamped->high : 0.0f);
    const __mmask16 lastLanes = Clamped ? clamped->lastVectorLanes : __mmask16(0xffff);
    const auto* base = reinterpret_cast<const char*>(tile);
    const auto* tailBase = Last == Quarter::Tail ? reinterpret_cast<const char*>(tail->input) : nullptr;
    const int32_t* rowStart = w.rowStart.data() + chunk * (w.outputChannels + 1);
    const int32_t* rowChannel = w.rowChannel.data() + chunk * w.outputChannels;
    for (int64_t position = first; position < end; ++position) {
        const int64_t c = rowChannel[position];
        float* row = sums + (c - firstRow) * rowFloats;
        float* quarterSums = Last == Quarter::Tail ? tail->sums + (c - firstRow) * kTailFloats : row + Vectors * kLanes;
        __m512 acc[Sets][Vectors];
        __m512 quarter[Sets];  // lanes 0-3 only; the rest stay zero
        const float start = withBias ? w.bias[static_cast<size_t>(c)] : 0.0f;
#pragma GCC unroll 4
        for (int v = 0; v < Vectors; ++v) acc[0][v] = !starts ? _mm512_load_ps(row + v * kLanes) : _mm512_set1_ps(start);
        if constexpr (kQuarter) quarter[0] = _mm512_zextps128_ps512(!starts ? _mm_load_ps(quarterSums) : _mm_set1_ps(start));
        for (int s = 1; s < Sets; ++s) {
            for (int v = 0; v < Vectors; ++v) acc[s][v] = _mm512_setzero_ps();
            if constexpr (kQuarter) quarter[s] = _mm512_setzero_ps();
        }
        int32_t k = rowStart[position];
        const int32_t stop = rowStart[position + 1];
        _mm_prefetch(reinterpret_cast<const char*>(nonzeros + stop) + kPrefetchBytes, _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(nonzeros + stop) + kPrefetchBytes + 64, _MM_HINT_T0);
        for (; k + Sets <= stop; k += Sets) {
#pragma GCC unroll 4
            for (int s = 0; s < Sets; ++s) multiplyNonzero<Vectors, Last>(base, tailBase, nonzeros[k + s], acc[s], quarter[s]);
        }
        for (; k < stop; ++k) multiplyNonzero<Vectors, Last>(base, tailBase, nonzeros[k], acc[0], quarter[0]);
#pragma GCC unroll 4
        for (int v = 0; v < Vectors; ++v) {
            __m512 total = acc[0][v];
            for (int s = 1; s < Sets; ++s) total = _mm512_add_ps(total, acc[s][v]);
            if constexpr (Clamped) {
                total = _mm512_min_ps(_mm512_max_ps(total, lowest), highest);
                if (v == Vectors - 1) total = _mm512_maskz_mov_ps(lastLanes, total);
            }
            _mm512_store_ps(row + v * kLanes, total);
        }
        if constexpr (kQuarter) {
            __m512 total = quarter[0];
            for (int s = 1; s < Sets; ++s) total = _mm512_add_ps(total, quarter[s]);
            _mm_store_ps(quarterSums, _mm512_castps512_ps128(total));
        }
    }
}

template <int Vectors, int Sets, bool Clamped = false, Quarter Last = Quarter::None>
__attribute__((target("avx512f"))) inline void multiplyChunk(const SparseMatrix& w, int64_t chunk, bool starts, bool withBias, const float* tile,
                                                            float* sums, int64_t firstRow, int64_t first, int64_t end,
                                                            const ClampedRows* clamped = nullptr, const TileTail* tail = nullptr) {
    if (!w.halfNonzeros.empty())
        multiplyRows<Vectors, Sets, Clamped, Last>(w, w.halfNonzeros.data(), chunk, starts, withBias, tile, sums, firstRow, first, end, clamped,
                                                   tail);
    else
        multiplyRows<Vectors, Sets, Clamped, Last>(w, w.nonzeros.data(), chunk, starts, withBias, tile, sums, firstRow, first, end, clamped, tail);
}

// Two tiles of one chunk-wide input (all of w's input channels) through
// the same nonzeros: rows of each into outputs[t] (`clamped[t]` says how),
// each weight decoded once for both. A layer of few inputs has short rows
// (pose detection's expansions: 4-6 nonzeros), whose decoding and
// per-row work cost as much as their FMAs: 24 -> 144 channels at 64
// pixels went 1.9 -> 2.3 FMAs a nanosecond in a micro-benchmark.
template <int Vectors, typename Entry>
__attribute__((target("avx512f"), always_inline)) inline void multiplyClampedPairRows(const SparseMatrix& w, const Entry* nonzeros,
                                                                                    const float* const tiles[2], float* const outputs[2],
                                                                                    const ClampedRows clamped[2]) {
    const auto* first = reinterpret_cast<const char*>(tiles[0]);
    const auto* second = reinterpret_cast<const char*>(tiles[1]);
    const __m512 lowest = _mm512_set1_ps(clamped[0].low), highest = _mm512_set1_ps(clamped[0].high);
    const __mmask16 lastLanes[2] = {clamped[0].lastVectorLanes, clamped[1].lastVectorLanes};
    const int64_t rowFloats[2] = {clamped[0].rowFloats, clamped[1].rowFloats};
    const int32_t* rowStart = w.rowStart.data();
    const int32_t* rowChannel = w.rowChannel.data();
    for (int64_t position = 0; position < w.outputChannels; ++position) {
        const int64_t c = rowChannel[position];
        __m512 acc[2][Vectors];
        const __m512 bias = _mm512_set1_ps(w.bias[static_cast<size_t>(c)]);
#pragma GCC unroll 4
        for (int v = 0; v < Vectors; ++v) acc[0][v] = acc[1][v] = bias;
        const int32_t stop = rowStart[position + 1];
        for (int32_t k = rowStart[position]; k < stop; ++k) {
            const DecodedNonzero d = decode(nonzeros[k]);
            const auto* x = reinterpret_cast<const float*>(first + d.offset * kOffsetScale);
            const auto* y = reinterpret_cast<const float*>(second + d.offset * kOffsetScale);
#pragma GCC unroll 4
            for (int v = 0; v < Vectors; ++v) {
                acc[0][v] = _mm512_fmadd_ps(d.weight, _mm512_load_ps(x + v * kLanes), acc[0][v]);
                acc[1][v] = _mm512_fmadd_ps(d.weight, _mm512_load_ps(y + v * kLanes), acc[1][v]);
            }
        }
#pragma GCC unroll 2
        for (int t = 0; t < 2; ++t) {
            float* row = outputs[t] + c * rowFloats[t];
#pragma GCC unroll 4
            for (int v = 0; v < Vectors; ++v) {
                __m512 total = _mm512_min_ps(_mm512_max_ps(acc[t][v], lowest), highest);
                if (v == Vectors - 1) total = _mm512_maskz_mov_ps(lastLanes[t], total);
                _mm512_store_ps(row + v * kLanes, total);
            }
        }
    }
}

// Both tiles clamp alike (clamped[0].low and high); chunks == 1.
template <int Vectors>
__attribute__((target("avx512f"))) inline void multiplyClampedPair(const SparseMatrix& w, const float* const tiles[2], float* const outputs[2],
                                                                  const ClampedRows clamped[2]) {
    if (!w.halfNonzeros.empty()) multiplyClampedPairRows<Vectors>(w, w.halfNonzeros.data(), tiles, outputs, clamped);
    else multiplyClampedPairRows<Vectors>(w, w.nonzeros.data(), tiles, outputs, clamped);
}

// multiplyChunk over a tile of `valid` pixels in Vectors vectors, where a
// last vector of at most 4 pixels takes only its quarter (a 7x7 plane's
// 49th pixel: 12 % less time a nonzero in a micro-benchmark), and the
// pixels of a tile past 64 come from its tail.
template <int Vectors, int Sets>
__attribute__((target("avx512f"))) inline void multiplyTile(int valid, const SparseMatrix& w, int64_t chunk, bool starts, bool withBias,
                                                           const float* tile, float* sums, int64_t firstRow, int64_t first, int64_t end,
                                                           const TileTail* tail = nullptr) {
    if constexpr (Vectors == 4)
        if (valid > kTilePixels)
            return multiplyChunk<4, Sets, false, Quarter::Tail>(w, chunk, starts, withBias, tile, sums, firstRow, first, end, nullptr, tail);
    if constexpr (Vectors >= 2)
        if (valid - (Vectors - 1) * kLanes <= kTailPixels)
            return multiplyChunk<Vectors - 1, Sets, false, Quarter::InRow>(w, chunk, starts, withBias, tile, sums, firstRow, first, end);
    multiplyChunk<Vectors, Sets>(w, chunk, starts, withBias, tile, sums, firstRow, first, end);
}

// Calls run(std::integral_constant<int, V>) for the V vectors of 16 that
// `valid` pixels take (1 to 4; a tile of more than 64 takes 4 and its
// tail): the kernels are instantiated per count.
template <typename Run>
void withVectors(int valid, Run run) {
    switch ((valid + kLanes - 1) / kLanes) {
    case 1: return run(std::integral_constant<int, 1>{});
    case 2: return run(std::integral_constant<int, 2>{});
    case 3: return run(std::integral_constant<int, 3>{});
    default: return run(std::integral_constant<int, 4>{});
    }
}

}  // namespace litestudio::cpu::channel_major
