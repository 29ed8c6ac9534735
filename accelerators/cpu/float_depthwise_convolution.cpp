// A row of outputs is computed in segments of up to 16 pixels, one or two
// blocks of 16 channels at a time. For each kernel row, the K weight
// vectors stay in registers and each input column is loaded once and
// multiplied into every output of the segment it reaches. Padding is
// zeros: rows and columns outside the image are skipped.
#include "accelerators/cpu/float_depthwise_convolution.h"

#include "accelerators/cpu/avx512_intrinsics.h"

#include <pthreadpool.h>

#if defined(__SANITIZE_ADDRESS__)
#define LITESTUDIO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LITESTUDIO_ASAN 1
#endif
#endif
#ifndef LITESTUDIO_ASAN
#define LITESTUDIO_ASAN 0
#endif
#if LITESTUDIO_ASAN
#include <sanitizer/asan_interface.h>
#endif

#include <algorithm>
#include <array>
#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/fused_epilogue.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int kLanes = 16;

using PackedDepthwise = DepthwisePlan;

struct RunArguments {
    const PackedDepthwise* p;
    const float* input;
    float* output;
    int64_t bandRows = 0, columnBlocks = 2;
};

// Which image edges a segment touches, when known at compile time (SAME
// padding at stride 1), so that its columns outside the image are left out
// without a test each.
constexpr int kLeftEdge = 1, kRightEdge = 2, kRuntimeEdges = 4;

// The input columns [first, end) of a segment's kColumns that lie inside
// the image.
template <int K, int Stride, int Pixels, int Edges>
inline std::pair<int64_t, int64_t> segmentColumns(const PackedDepthwise& p, int64_t ox0) {
    constexpr int kColumns = (Pixels - 1) * Stride + K;
    const int64_t left = ox0 * Stride - p.padLeft;
    if constexpr (Edges == kRuntimeEdges) return {std::max<int64_t>(0, -left), std::min<int64_t>(kColumns, p.inW - left)};
    return {Edges & kLeftEdge ? (K - 1) / 2 : 0, Edges & kRightEdge ? (K - 1) / 2 + Pixels : kColumns};
}

// Outputs ox0 .. ox0 + Pixels - 1 of one output row (a segment of up to
// kSegmentPixels), channel blocks `block` .. `block` + Count - 1; `mask`
// is the last block's channels. Each input column of a kernel row is
// loaded once and feeds every output it reaches while the row's K weights
// stay in registers: about 3 FMAs a load on a 14-pixel row, where groups of
// four outputs, each reloading its columns and weights, did 1.4.
// Columns outside the image are skipped. Short segments take two blocks
// so that enough sums are in flight to cover the FMA latency.
template <int K, int Stride, int Pixels, int Count, int Edges>
__attribute__((target("avx512f"), always_inline, no_sanitize("undefined"))) inline void segmentAvx512(
    const PackedDepthwise& p, const InputRows& rows, float* outputRow, int64_t ox0, int64_t block, __mmask16 mask) {
    constexpr int kColumns = (Pixels - 1) * Stride + K;
    const int64_t channel = block * kLanes;
    __m512 sums[Count][Pixels];
    for (int b = 0; b < Count; ++b) {
        const __m512 bias = _mm512_loadu_ps(p.bias.data() + channel + b * kLanes);
        for (int j = 0; j < Pixels; ++j) sums[b][j] = bias;
    }
    const int64_t left = ox0 * Stride - p.padLeft;
    const auto [firstColumn, endColumn] = segmentColumns<K, Stride, Pixels, Edges>(p, ox0);
    const float* weights = p.weights.data() + block * K * K * kLanes;
    for (int ky = 0; ky < K; ++ky) {
        if (!rows[ky]) continue;
        // Column firstColumn's input; the columns before it lie outside the image.
        const float* row = rows[ky] + channel + (left + firstColumn) * p.inputPixelStride;
        __m512 w[Count][K];
        for (int b = 0; b < Count; ++b)
            for (int kx = 0; kx < K; ++kx) w[b][kx] = _mm512_loadu_ps(weights + (b * K * K + ky * K + kx) * kLanes);
#pragma GCC unroll 64
        for (int c = 0; c < kColumns; ++c) {
            if (c < firstColumn || c >= endColumn) continue;
#pragma GCC unroll 2
            for (int b = 0; b < Count; ++b) {
                const float* at = row + (c - firstColumn) * p.inputPixelStride + b * kLanes;
                const __m512 column = b + 1 < Count ? _mm512_loadu_ps(at) : _mm512_maskz_loadu_ps(mask, at);
#pragma GCC unroll 16
                for (int j = 0; j < Pixels; ++j) {
                    const int kx = c - j * Stride;
                    if (kx >= 0 && kx < K) sums[b][j] = _mm512_fmadd_ps(w[b][kx], column, sums[b][j]);
                }
            }
        }
    }
    const __m512 low = _mm512_set1_ps(p.low), high = _mm512_set1_ps(p.high);
    for (int b = 0; b < Count; ++b)
        for (int j = 0; j < Pixels; ++j) {
            float* at = outputRow + (ox0 + j) * p.outputPixelStride + channel + b * kLanes;
            const __m512 value = _mm512_min_ps(_mm512_max_ps(sums[b][j], low), high);
            if (b + 1 < Count) _mm512_storeu_ps(at, value);
            else _mm512_mask_storeu_ps(at, mask, value);
        }
}

// Channel blocks [first, end) of one group of pixels.
struct Blocks {
    int64_t first, end;
};

constexpr int kSegmentPixels = 16;
// Segments of at most this many pixels take two blocks at a time.
constexpr int kPairedSegmentPixels = 8;

// The sanitizers do not instrument the segment kernels' loads, stores and
// offsets one by one: their hundreds of unrolled instances took clang more
// than ten minutes to build so (under a minute without). Under ASan each
// call instead checks, before it runs, the span of every input row it
// reads and of the output it writes.
template <int K, int Stride, int Pixels, int Edges>
void checkSegmentSpans(const PackedDepthwise& p, const InputRows& rows, const float* outputRow, int64_t ox0, Blocks blocks) {
#if LITESTUDIO_ASAN
    const auto [firstColumn, endColumn] = segmentColumns<K, Stride, Pixels, Edges>(p, ox0);
    const int64_t left = ox0 * Stride - p.padLeft;
    const int64_t firstChannel = blocks.first * kLanes, endChannel = std::min(p.channels, blocks.end * kLanes);
    auto check = [](const float* first, const float* last, int isWrite) {
        const size_t bytes = static_cast<size_t>(last - first + 1) * sizeof(float);
        if (void* bad = __asan_region_is_poisoned(const_cast<float*>(first), bytes))
            __asan_report_error(__builtin_return_address(0), __builtin_frame_address(0), __builtin_frame_address(0), bad, isWrite,
                                sizeof(float));
    };
    if (endColumn > firstColumn)
        for (int ky = 0; ky < K; ++ky)
            if (rows[ky])
                check(rows[ky] + (left + firstColumn) * p.inputPixelStride + firstChannel,
                      rows[ky] + (left + endColumn - 1) * p.inputPixelStride + endChannel - 1, 0);
    check(outputRow + ox0 * p.outputPixelStride + firstChannel, outputRow + (ox0 + Pixels - 1) * p.outputPixelStride + endChannel - 1, 1);
#else
    (void)p, (void)rows, (void)outputRow, (void)ox0, (void)blocks;
#endif
}

template <int K, int Stride, int Pixels, int Edges>
__attribute__((target("avx512f"), no_sanitize("address"))) void segmentBlocks(const PackedDepthwise& p, const InputRows& rows,
                                                                              float* outputRow, int64_t ox0, Blocks blocks) {
    checkSegmentSpans<K, Stride, Pixels, Edges>(p, rows, outputRow, ox0, blocks);
    const auto lastMask = firstLanes(p.channels - (p.blocks - 1) * kLanes);
    int64_t block = blocks.first;
    if constexpr (Pixels <= kPairedSegmentPixels)
        for (; block + 1 < blocks.end; block += 2)
            segmentAvx512<K, Stride, Pixels, 2, Edges>(p, rows, outputRow, ox0, block, block + 2 == p.blocks ? lastMask : __mmask16(0xFFFF));
    for (; block < blocks.end; ++block)
        segmentAvx512<K, Stride, Pixels, 1, Edges>(p, rows, outputRow, ox0, block, block + 1 == p.blocks ? lastMask : __mmask16(0xFFFF));
}

using SegmentFunction = void (*)(const PackedDepthwise&, const InputRows&, float*, int64_t, Blocks);

template <int K, int Stride, int Edges, int... Pixels>
constexpr std::array<SegmentFunction, sizeof...(Pixels)> segmentTable(std::integer_sequence<int, Pixels...>) {
    return {segmentBlocks<K, Stride, Pixels + 1, Edges>...};
}

template <int K, int Stride, int Edges>
constexpr auto kSegmentTable = segmentTable<K, Stride, Edges>(std::make_integer_sequence<int, kSegmentPixels>{});

template <int K, int Stride>
__attribute__((target("avx512f"))) void rowAvx512(const PackedDepthwise& p, const InputRows& rows, float* outputRow, Blocks blocks) {
    // The row in near-equal segments (a 28-pixel row as 14 + 14, not 16 + 12).
    const int64_t segments = (p.outW + kSegmentPixels - 1) / kSegmentPixels;
    const int64_t pixels = (p.outW + segments - 1) / segments;
    if (Stride == 1 && p.inW == p.outW && p.padLeft == (K - 1) / 2) {
        // SAME padding: which columns a segment has is known from where it lies.
        for (int64_t ox = 0; ox < p.outW; ox += pixels) {
            const auto index = static_cast<size_t>(std::min(pixels, p.outW - ox) - 1);
            const int edges = (ox == 0 ? kLeftEdge : 0) | (ox + pixels >= p.outW ? kRightEdge : 0);
            switch (edges) {
            case 0: kSegmentTable<K, 1, 0>[index](p, rows, outputRow, ox, blocks); break;
            case kLeftEdge: kSegmentTable<K, 1, kLeftEdge>[index](p, rows, outputRow, ox, blocks); break;
            case kRightEdge: kSegmentTable<K, 1, kRightEdge>[index](p, rows, outputRow, ox, blocks); break;
            default: kSegmentTable<K, 1, kLeftEdge | kRightEdge>[index](p, rows, outputRow, ox, blocks); break;
            }
        }
        return;
    }
    for (int64_t ox = 0; ox < p.outW; ox += pixels)
        kSegmentTable<K, Stride, kRuntimeEdges>[static_cast<size_t>(std::min(pixels, p.outW - ox) - 1)](p, rows, outputRow, ox, blocks);
}

// ---- 8 channels at stride 1: two pixels a vector ----
// With 8 channels the general path leaves half of each vector empty (pose
// landmark's 256x256x8 layers ran at 11 GMAC/s). A vector holds two
// neighbouring pixels instead: each tap of a pair of outputs reads 16
// consecutive input floats, with the weights repeated in both halves.
constexpr int kPairsTogether = 4;

// Pixels ix and ix + 1 of `row` (8 channels each), zeros outside [0, width).
__attribute__((target("avx512f"), always_inline)) inline __m512 pairAt(const float* row, int64_t ix, int64_t width, bool inside) {
    if (inside) return _mm512_loadu_ps(row + ix * 8);
    const __m256 first = ix >= 0 && ix < width ? _mm256_loadu_ps(row + ix * 8) : _mm256_setzero_ps();
    const __m256 second = ix + 1 >= 0 && ix + 1 < width ? _mm256_loadu_ps(row + (ix + 1) * 8) : _mm256_setzero_ps();
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(first)), _mm256_castps_pd(second), 1));
}

// Outputs ox0 .. ox0 + 2 * Pairs - 1 of one output row, of which the first `pixels` exist.
template <int K, int Pairs, bool Inside>
__attribute__((target("avx512f"), always_inline)) inline void pairsAvx512(const PackedDepthwise& p, const InputRows& rows, float* outputRow,
                                                                          int64_t ox0, int64_t pixels) {
    constexpr int kColumns = 2 * (Pairs - 1) + K;
    __m512 sums[Pairs];
    const __m512 bias = _mm512_loadu_ps(p.bias.data());
    for (int j = 0; j < Pairs; ++j) sums[j] = bias;
    const int64_t left = ox0 - p.padLeft;
    for (int ky = 0; ky < K; ++ky) {
        if (!rows[ky]) continue;
        const float* row = rows[ky];
        __m512 columns[kColumns];
#pragma GCC unroll 16
        for (int c = 0; c < kColumns; ++c) columns[c] = pairAt(row, left + c, p.inW, Inside);
#pragma GCC unroll 8
        for (int kx = 0; kx < K; ++kx) {
            const __m512 w = _mm512_loadu_ps(p.weights.data() + (ky * K + kx) * kLanes);
#pragma GCC unroll 4
            for (int j = 0; j < Pairs; ++j) sums[j] = _mm512_fmadd_ps(w, columns[2 * j + kx], sums[j]);
        }
    }
    const __m512 low = _mm512_set1_ps(p.low), high = _mm512_set1_ps(p.high);
    for (int j = 0; j < Pairs && 2 * j < pixels; ++j) {
        const __mmask16 mask = 2 * j + 1 < pixels ? 0xFFFF : 0x00FF;
        _mm512_mask_storeu_ps(outputRow + (ox0 + 2 * j) * 8, mask, _mm512_min_ps(_mm512_max_ps(sums[j], low), high));
    }
}

// The same for a whole group of 3x3 outputs inside the row, with the nine
// taps' weights in registers and each input pair read once: the columns
// that start an even distance from `first` are loads, the others the
// halves of two of them joined by one shuffle. Each FMA had read its
// column from memory, unaligned, the weights again for every group (pose
// landmark's 256x256x8 rows 18 -> 13 cycles a pair in a micro-benchmark).
template <int Pairs>
__attribute__((target("avx512f"), always_inline)) inline void innerPairs3x3(const PackedDepthwise& p, const InputRows& rows,
                                                                            const __m512 (&weights)[9], float* outputRow, int64_t ox0) {
    constexpr int kColumns = 2 * (Pairs - 1) + 3, kLoads = kColumns / 2 + 1;
    __m512 sums[Pairs];
    const __m512 bias = _mm512_loadu_ps(p.bias.data());
    for (int j = 0; j < Pairs; ++j) sums[j] = bias;
    const int64_t left = ox0 - p.padLeft;
    for (int ky = 0; ky < 3; ++ky) {
        if (!rows[ky]) continue;
        const float* first = rows[ky] + left * 8;
        __m512 loads[kLoads];
#pragma GCC unroll 8
        for (int m = 0; m < kLoads; ++m) loads[m] = _mm512_loadu_ps(first + 16 * m);
#pragma GCC unroll 8
        for (int kx = 0; kx < 3; ++kx)
#pragma GCC unroll 4
            for (int j = 0; j < Pairs; ++j) {
                const int c = 2 * j + kx;
                const __m512 column = c % 2 == 0 ? loads[c / 2] : _mm512_shuffle_f32x4(loads[c / 2], loads[c / 2 + 1], 0x4E);
                sums[j] = _mm512_fmadd_ps(weights[ky * 3 + kx], column, sums[j]);
            }
    }
    const __m512 low = _mm512_set1_ps(p.low), high = _mm512_set1_ps(p.high);
#pragma GCC unroll 4
    for (int j = 0; j < Pairs; ++j) _mm512_storeu_ps(outputRow + (ox0 + 2 * j) * 8, _mm512_min_ps(_mm512_max_ps(sums[j], low), high));
}

template <int K>
__attribute__((target("avx512f"))) void rowPairsAvx512(const PackedDepthwise& p, const InputRows& rows, float* outputRow) {
    __m512 weights3x3[9];
    if constexpr (K == 3)
        for (int t = 0; t < 9; ++t) weights3x3[t] = _mm512_loadu_ps(p.weights.data() + t * kLanes);
    for (int64_t ox = 0; ox < p.outW; ox += 2 * kPairsTogether) {
        const int64_t pixels = std::min<int64_t>(2 * kPairsTogether, p.outW - ox);
        // The group reads input pixels left .. left + 2 * pairs + K - 2.
        const int64_t left = ox - p.padLeft, right = left + 2 * kPairsTogether + K - 2;
        if (pixels == 2 * kPairsTogether && left >= 0 && right < p.inW) {
            if constexpr (K == 3) innerPairs3x3<kPairsTogether>(p, rows, weights3x3, outputRow, ox);
            else pairsAvx512<K, kPairsTogether, true>(p, rows, outputRow, ox, pixels);
        } else {
            for (int64_t j = 0; j < pixels; j += 2) pairsAvx512<K, 1, false>(p, rows, outputRow, ox + j, pixels - j);
        }
    }
}

using RowFunction = void (*)(const PackedDepthwise&, const InputRows&, float*, Blocks);

RowFunction rowFunction(int kernelSize, int strideW) {
    switch (kernelSize * 10 + strideW) {
    case 31: return rowAvx512<3, 1>;
    case 32: return rowAvx512<3, 2>;
    case 51: return rowAvx512<5, 1>;
    case 52: return rowAvx512<5, 2>;
    case 71: return rowAvx512<7, 1>;
    case 72: return rowAvx512<7, 2>;
    default: return nullptr;
    }
}

// A fused activation (PRELU, swish, HARD_SWISH) over channel blocks
// [first, end) of a finished output row, while it is in L1: the row loops
// above stay free of it.
__attribute__((target("avx512f"))) void epilogueOverRow(const PackedDepthwise& p, float* outputRow, Blocks blocks) {
    const int64_t first = blocks.first * kLanes, end = std::min(p.channels, blocks.end * kLanes);
    for (int64_t ox = 0; ox < p.outW; ++ox)
        for (int64_t c = first; c < end; c += kLanes) {
            const __mmask16 lanes = firstLanes(end - c);
            float* at = outputRow + ox * p.outputPixelStride + c;
            _mm512_mask_storeu_ps(at, lanes, applyEpilogue(p.epilogue, _mm512_maskz_loadu_ps(lanes, at), p.slopes.values.data(), c));
        }
}

// An output row, or channel blocks [first, end) of it, from its input rows.
void rowBlocks(const PackedDepthwise& p, const InputRows& rows, float* outputRow, Blocks blocks) {
    if (p.paired) {
        switch (p.kernelSize) {
        case 3: rowPairsAvx512<3>(p, rows, outputRow); break;
        case 5: rowPairsAvx512<5>(p, rows, outputRow); break;
        default: rowPairsAvx512<7>(p, rows, outputRow); break;
        }
    } else {
        rowFunction(p.kernelSize, p.strideW)(p, rows, outputRow, blocks);
    }
    if (p.epilogue != Op::Epilogue::None) {
        // A whole row's values side by side (see SlopePattern), else pixel by pixel.
        if ((p.paired || (blocks.first == 0 && blocks.end * kLanes >= p.channels)) && p.outputPixelStride == p.channels)
            applyEpilogueOverRow(p.epilogue, p.slopes, outputRow, p.outW * p.channels);
        else epilogueOverRow(p, outputRow, p.paired ? Blocks{0, 1} : blocks);
    }
}

void runRows(void* context, size_t row, size_t firstBlock, size_t blockCount) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const PackedDepthwise& p = *arguments.p;
    const int64_t batch = static_cast<int64_t>(row) / p.outH, oy = static_cast<int64_t>(row) % p.outH;
    rowBlocks(p, inputRowsOf(p, arguments.input + batch * p.inH * p.inW * p.channels, oy),
              arguments.output + (batch * p.outH + oy) * p.outW * p.channels,
              Blocks{static_cast<int64_t>(firstBlock), static_cast<int64_t>(firstBlock + blockCount)});
}

Status prepareDepthwise(KernelContext& context) {
    RuntimeTensor padded;
    LS_RETURN_IF_ERROR(prepareDepthwiseShapes(context, padded));
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& out = context.output(0);
    const auto* options = context.op->options->builtin_options_as_DepthwiseConv2DOptions();
    auto packed = std::make_shared<PackedDepthwise>();
    PackedDepthwise& p = *packed;
    p.kernelSize = filter.dim(1);
    p.strideH = options->stride_h(), p.strideW = options->stride_w();
    p.batch = input.dim(0), p.inH = input.dim(1), p.inW = input.dim(2), p.channels = input.dim(3);
    p.outH = out.dim(1), p.outW = out.dim(2);
    p.padTop = paddingBefore(padded.dim(1), p.outH, p.kernelSize, p.strideH) + context.op->fusedPadding[0];
    p.padLeft = paddingBefore(padded.dim(2), p.outW, p.kernelSize, p.strideW) + context.op->fusedPadding[2];
    std::tie(p.low, p.high) = clampRange(context, options->fused_activation_function());
    LS_RETURN_IF_ERROR(packDepthwise(context, p));
    std::vector<float> slopes;
    LS_RETURN_IF_ERROR(readPreluSlopes(context, p.channels, p.bias.size(), slopes));
    p.epilogue = context.op->fusedEpilogue;
    p.slopes = slopePatternOf(slopes, p.channels);
    context.state = packed;
    return Status::ok();
}

// A group of channel blocks down a band of rows: the group's K input rows
// (K x width x 64 bytes a block, at most columnOrderBytes()) are read from
// L2 once and stay in L1 for the K output rows that use them, where a row
// of every block (14x14x672 5x5: 188 KB) leaves L1 before the next output
// row comes back to it (pose detection's standalone depthwise ops 0.96x in
// this order with pairs of blocks; groups of 14 instead of pairs on its
// 7x7 planes another 0.92x). Rows too wide for two blocks keep the row order.
// The rows take all of L1 but 16 KB (weights, the sums written, the stack):
// 32 KB of a 48 KB L1 as tuned on the Intel Xeon and Zen 5; on Zen 4's 32 KB
// groups of 16 KB ran pose detection 0.992x and 0.993x (against 1.002x and
// 1.001x for the build against itself), 24 KB 0.997x, 8 KB 0.993x.
int64_t columnOrderBytes() { return std::max<int64_t>(8 * 1024, level1DataCacheBytes() - 16 * 1024); }

void runColumns(void* context, size_t group, size_t band) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const PackedDepthwise& p = *arguments.p;
    const int64_t rows = p.batch * p.outH, bandRows = arguments.bandRows, width = arguments.columnBlocks;
    const Blocks blocks{static_cast<int64_t>(group) * width, std::min<int64_t>(p.blocks, static_cast<int64_t>(group + 1) * width)};
    for (int64_t row = static_cast<int64_t>(band) * bandRows; row < std::min(rows, (static_cast<int64_t>(band) + 1) * bandRows); ++row) {
        const int64_t batch = row / p.outH, oy = row % p.outH;
        rowBlocks(p, inputRowsOf(p, arguments.input + batch * p.inH * p.inW * p.channels, oy),
                  arguments.output + (batch * p.outH + oy) * p.outW * p.channels, blocks);
    }
}

Status evalDepthwise(KernelContext& context) {
    const auto& p = *static_cast<const PackedDepthwise*>(context.state.get());
    RunArguments arguments{&p, context.input(0).as<const float>(), context.output(0).as<float>()};
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    const int64_t rows = p.batch * p.outH, threads = pool ? static_cast<int64_t>(pthreadpool_get_threads_count(pool)) : 1;
    const int64_t blockBytes = p.kernelSize * p.inW * kLanes * static_cast<int64_t>(sizeof(float));
    const int64_t groupBytes = columnOrderBytes();
    if (!p.paired && 2 * blockBytes <= groupBytes) {
        // As many blocks a task as fit (an even count, for the pairs), fewer
        // when threads need more tasks: a 7-pixel row of two blocks was
        // little work for the calls that set it up.
        int64_t width = groupBytes / blockBytes / 2 * 2;
        while (threads > 1 && width > 2 && (p.blocks + width - 1) / width < 4 * threads) width -= 2;
        const int64_t groups = (p.blocks + width - 1) / width;
        const int64_t bands = std::clamp<int64_t>((8 * threads + groups - 1) / groups, 1, rows);
        arguments.columnBlocks = width;
        arguments.bandRows = (rows + bands - 1) / bands;
        parallelize2d(pool, runColumns, &arguments, static_cast<size_t>(groups),
                      static_cast<size_t>((rows + arguments.bandRows - 1) / arguments.bandRows));
        return Status::ok();
    }
    // Rows, and channel blocks too when a plane has few rows (7x7 layers:
    // seven rows split 4 + 3 between two threads scaled 1.06x).
    const int64_t splits = std::clamp<int64_t>((8 * threads + rows - 1) / rows, 1, p.blocks);
    const int64_t tile = (p.blocks + splits - 1) / splits;
    parallelize2dTile1d(pool, runRows, &arguments, static_cast<size_t>(rows), static_cast<size_t>(p.blocks),
                        static_cast<size_t>(tile));
    return Status::ok();
}

}  // namespace

Status prepareDepthwiseShapes(KernelContext& context, RuntimeTensor& padded) {
    LS_RETURN_IF_ERROR(withOwnInputs(
        context, [&] { return prepareWithFoldedPadding(context, *findReferenceKernel(schema::BuiltinOperator_DEPTHWISE_CONV_2D), padded); }));
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& out = context.output(0);
    if (input.rank() != 4 || out.rank() != 4 || filter.rank() != 4 || filter.dim(1) != filter.dim(2) || filter.dim(3) != input.dim(3) ||
        out.dim(3) != input.dim(3))
        return context.error("expects a square filter [1, k, k, " + std::to_string(input.rank() == 4 ? input.dim(3) : 0) +
                             "] (depth multiplier 1) over a 4-D input");
    return Status::ok();
}

Status packDepthwise(const KernelContext& context, DepthwisePlan& p) {
    const RuntimeTensor& filter = context.input(1);
    if (filter.rank() != 4 || filter.dim(0) != 1 || filter.dim(1) != filter.dim(2) || filter.dim(3) != p.channels ||
        !depthwiseRowsRun(filter.dim(1), p.strideW))
        return context.error("expects a square 3x3, 5x5 or 7x7 depthwise filter [1, k, k, " + std::to_string(p.channels) + "]");
    p.kernelSize = filter.dim(1);
    p.blocks = (p.channels + kLanes - 1) / kLanes;
    const int taps = p.kernelSize * p.kernelSize;
    std::vector<float> filterValues(static_cast<size_t>(filter.elementCount()));
    reference::toFloats(filter, filterValues.data());
    p.weights.assign(static_cast<size_t>(p.blocks * taps * kLanes), 0.0f);
    for (int64_t c = 0; c < p.channels; ++c)
        for (int t = 0; t < taps; ++t)
            p.weights[static_cast<size_t>(((c / kLanes) * taps + t) * kLanes + c % kLanes)] = filterValues[static_cast<size_t>(t * p.channels + c)];
    p.bias.assign(static_cast<size_t>(p.blocks * kLanes), 0.0f);
    LS_RETURN_IF_ERROR(readFloatBias(context, p.channels, p.bias.data()));
    p.paired = p.channels == 8 && p.strideH == 1 && p.strideW == 1;
    p.inputPixelStride = p.outputPixelStride = p.channels;
    if (p.paired) {
        for (int t = 0; t < taps; ++t) std::copy_n(p.weights.begin() + t * kLanes, 8, p.weights.begin() + t * kLanes + 8);
        std::copy_n(p.bias.begin(), 8, p.bias.begin() + 8);
    }
    return Status::ok();
}

InputRows inputRowsOf(const DepthwisePlan& plan, const float* image, int64_t oy) {
    InputRows rows{};
    for (int ky = 0; ky < plan.kernelSize; ++ky) {
        const int64_t iy = oy * plan.strideH - plan.padTop + int64_t(ky) * plan.dilationH;
        rows[static_cast<size_t>(ky)] = iy >= 0 && iy < plan.inH ? image + iy * plan.inW * plan.channels : nullptr;
    }
    return rows;
}

void depthwiseRow(const DepthwisePlan& plan, const InputRows& rows, float* outputRow) {
    rowBlocks(plan, rows, outputRow, Blocks{0, plan.blocks});
}

bool depthwiseRowsRun(int kernelSize, int stride) { return rowFunction(kernelSize, stride) != nullptr; }

const KernelDef* floatDepthwiseConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = prepareDepthwise, .eval = evalDepthwise, .fusesInputPadding = true, .fusesActivation = true};
    if (!cpuHasAvx512() || model.opCode(op).builtin != schema::BuiltinOperator_DEPTHWISE_CONV_2D || !hasConvolutionOperands(op) ||
        op.fusedSeparableBlock || op.fusedExpansion)
        return nullptr;
    const auto* options = op.options->builtin_options_as_DepthwiseConv2DOptions();
    if (!options || options->stride_h() < 1 || options->stride_h() > 2 || options->stride_w() < 1 || options->stride_w() > 2 ||
        options->dilation_h_factor() != 1 || options->dilation_w_factor() != 1)
        return nullptr;
    if (!isClampActivation(options->fused_activation_function())) return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& filter = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    if (input.type != DataType::Float32 || output.type != DataType::Float32 || !isConstantFloat(filter) || filter.shape.size() != 4 ||
        input.shape.size() != 4 || output.shape.size() != 4 || filter.shape[0] != 1 || filter.shape[1] != filter.shape[2] ||
        !rowFunction(filter.shape[1], options->stride_w()) || filter.shape[3] != input.shape[3] || output.shape[3] != input.shape[3])
        return nullptr;
    if (op.inputs.size() > 2 && op.inputs[2] >= 0 && !isConstantFloat(subgraph.tensors[static_cast<size_t>(op.inputs[2])])) return nullptr;
    // XNNPACK's own 3x3 kernel keeps up at stride 2 once a pixel has a few
    // blocks of channels (pose detection's 14x14x288 ones: 0.009 ms there
    // against 0.012 here); with 5x5 and 7x7, few channels, or stride 1 since
    // this kernel takes two blocks a step, it falls behind (5x5 on 384
    // channels: 0.11 -> 0.07 ms; 3x3 on 24: 0.27 -> 0.19; 3x3 stride 1 on
    // 7x7x1152: 0.036 -> 0.024, on 28x28x96 0.029 -> 0.020).
    // With a fused activation after it, this kernel saves that pass and is taken.
    if (filter.shape[1] == 3 && input.shape[3] > 32 && options->stride_w() == 2 && op.fusedEpilogue == Op::Epilogue::None) return nullptr;
    return &kernel;
}

}  // namespace litestudio::cpu
