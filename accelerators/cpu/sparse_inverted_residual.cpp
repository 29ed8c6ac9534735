// Each thread takes a band of output rows and keeps a ring of expanded
// rows. A ring row holds, for every expanded channel, the row's pixels with
// zeros around them (the padding the depthwise reads). Output rows are
// made two at a time, in tiles of up to 64 pixels: the depthwise sums its
// taps from the ring rows into a channel-major tile per output row, which
// the projecting 1x1 multiplies nonzero by nonzero and turns back to NHWC
// (or writes plane by plane, where the next block reads the result
// channel-major: core/runtime/channel_major_layout.h).
#include "accelerators/cpu/sparse_inverted_residual.h"

#include "accelerators/cpu/channel_major_stem.h"
#include "accelerators/cpu/channel_major_tiles.h"

#include <pthreadpool.h>

#include <algorithm>
#include <array>
#include <memory>
#include <tuple>
#include <vector>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/expansion_ring.h"
#include "accelerators/cpu/sparse_pointwise_convolution.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

using namespace channel_major;

// Narrower rows leave most lanes of a tile empty; the separate sparse 1x1
// kernel's tiles of 64 pixels across rows win there.
constexpr int64_t kLeastRowPixels = 32;
// Nonzeros a pixel over channels transposed a pixel (see the kernel's choice).
constexpr double kLeastWorkPerTransposed = 16.0;
// Without an expansion (a depthwise-separable block, only the projection's
// nonzeros to repay the transposes): pose detection's 112x112 24 -> 16
// block (2.4) ran 0.90x the dense block's time, face detection full range
// sparse's 48x48 ones (3.8-4.8) 0.88x, its 96x96 8 <-> 32 ones (1.9) 1.38x.
constexpr double kLeastSeparableWorkPerTransposed = 2.2;
// An expansion that repays the sparse 1x1 kernel's transposes this well
// (nonzeros a pixel for each channel transposed) is that kernel's alone.
constexpr double kExpansionAlone = 7.0;
constexpr int kMaxKernel = 5;
// Zeros before a channel's pixels in a ring row: more than a tap reaches left.
constexpr int64_t kMargin = kLanes;
constexpr int kMaxStride = 2;
// Ring rows: a pair of output rows reads kernel + stride input rows.
constexpr int kMaxRingRows = kMaxKernel + kMaxStride;
// The fused op's inputs (core/graph/model.h, Op::fusedExpansion on a
// separable block): x, depthwise filter and bias, the projecting 1x1 and
// its bias, the tensor added, the expanding 1x1 and its bias.
constexpr size_t kProjection = 3, kResidual = 5, kExpansion = 6;

struct Block {
    bool expands = true;     // a separable block without an expansion has its input's channels in the ring
    bool stem = false;       // or makes its input's rows from the image by stemPlan (Op::fusedStem)
    StemPlan stemPlan;
    // Input 0, and the output with the residual, channel-major
    // (RuntimeTensor::channelMajor: between two such blocks).
    bool inputPlanes = false, outputPlanes = false;
    SparseMatrix expansion;  // input channels -> channels, one chunk
    float expansionLow = 0, expansionHigh = 0;
    int kernelSize = 3, stride = 1, padTop = 0, padLeft = 0;
    int64_t batch = 0, inH = 0, inW = 0, outH = 0, outW = 0, inputChannels = 0, channels = 0, outputChannels = 0;
    std::vector<float> depthwiseWeights;  // [channel][ky][kx]
    std::vector<float> depthwiseBias;
    float low = 0, high = 0;
    SparseMatrix projection;  // channels -> outputChannels, one chunk
    TileWrite write;          // the projection's result, with the residual
    // A ring row: per channel, one part per column phase (at stride 2 the
    // even columns, then the odd ones, so that a tap's inputs for 16
    // neighbouring outputs are 16 neighbouring floats), each part kMargin
    // zeros, its pixels, zeros to partFloats.
    int64_t channelFloats = 0, partFloats = 0;
    std::array<int64_t, kMaxKernel> tapOffset{};  // column kx: floats from a channel's start to output column 0's input
    RowBands bands;
    size_t ringRowFloats = 0, bandFloats = 0;
};

struct RunArguments {
    const Block* block;
    const float* input;
    const float* residual;  // null unless the block adds one
    float* output;
    float* scratch;  // bands x bandFloats, 64-byte aligned
};

struct BandScratch {
    float* ring;    // kernelSize + stride ring rows
    StemRows stem;  // the image rows stem rows read, split (no rows without a stem)
    std::array<float*, 2> tiles;  // input tiles, channel-major, expanded two at a time (an expansion's; none without)
    float* sums;    // the projection's results, channel-major
    float* middle;  // the depthwise's tiles of two output rows, channel-major
};

size_t wholeBlockRows(int64_t channels) { return static_cast<size_t>((channels + kLanes - 1) / kLanes * kLanes * kTilePixels); }

// Where each part of a band's scratch starts, in floats, and its size.
struct BandLayout {
    size_t stem, tiles, sums, middle, floats;
};

BandLayout bandLayoutOf(const Block& b) {
    BandLayout layout;
    layout.stem = static_cast<size_t>(b.kernelSize + b.stride) * b.ringRowFloats;
    layout.tiles = layout.stem + (b.stem ? (b.stemPlan.scratchFloats() + kLanes - 1) / kLanes * kLanes : 0);
    // Without an expansion the input goes straight into the ring: no tiles.
    layout.sums = layout.tiles + (b.expands ? 2 * wholeBlockRows(b.inputChannels) : 0);
    layout.middle = layout.sums + wholeBlockRows(b.outputChannels);
    layout.floats = layout.middle + 2 * wholeBlockRows(b.channels);
    return layout;
}

BandScratch bandScratchOf(const Block& b, float* base) {
    const BandLayout layout = bandLayoutOf(b);
    float* tiles = base + layout.tiles;
    return {base, StemRows{base + layout.stem}, {tiles, tiles + wholeBlockRows(b.inputChannels)}, base + layout.sums, base + layout.middle};
}

// Zeros where a ring row's parts have no pixels: their margins, and from
// their pixels' last vector on. Rows are made into those pixels only, so
// the zeros stay for the whole op: once per ring row a run, not once per
// row made (zeroing each row's edges as it was made, one cache line a
// channel each side, took 2 % of pose detection).
__attribute__((target("avx512f"))) void zeroRingEdges(const Block& b, float* ringRow) {
    for (int phase = 0; phase < b.stride; ++phase) {
        const int64_t pixels = (b.inW - phase + b.stride - 1) / b.stride;
        float* part = ringRow + phase * b.partFloats;
        for (int64_t c = 0; c < b.channels; ++c) {
            float* channelPart = part + c * b.channelFloats;
            _mm512_store_ps(channelPart, _mm512_setzero_ps());
            for (int64_t at = kMargin + (pixels + kLanes - 1) / kLanes * kLanes; at < b.partFloats; at += kLanes)
                _mm512_store_ps(channelPart + at, _mm512_setzero_ps());
        }
    }
}

// A tile of an input row's column phase waiting for its expansion: its
// `valid` pixels channel-major in BandScratch::tiles[buffer], its result
// due at `target` in a ring row.
struct PendingTile {
    int buffer = 0;
    int valid = 0;  // 0: none
    float* target = nullptr;
};

// The expansion of tiles `first` and, when it is one, `second` (of as many
// vectors), stored clamped into their ring rows.
__attribute__((target("avx512f"))) void expandTiles(const Block& b, BandScratch& s, const PendingTile& first, const PendingTile* second) {
    const auto store = [&](const PendingTile& tile) {
        return ClampedRows{b.channelFloats, b.expansionLow, b.expansionHigh, firstLanes(tile.valid - (tile.valid - 1) / kLanes * kLanes)};
    };
    withVectors(first.valid, [&](auto vectors) {
        if (second) {
            const float* const tiles[2] = {s.tiles[static_cast<size_t>(first.buffer)], s.tiles[static_cast<size_t>(second->buffer)]};
            float* const targets[2] = {first.target, second->target};
            const ClampedRows stores[2] = {store(first), store(*second)};
            multiplyClampedPair<vectors()>(b.expansion, tiles, targets, stores);
            return;
        }
        // One accumulator set: a row has few nonzeros (an expansion's
        // inputs are few), and combining sets cost more (pose detection's
        // 56x56 block 0.44 -> 0.40 ms).
        const ClampedRows one = store(first);
        multiplyChunk<vectors(), 1, true>(b.expansion, 0, true, true, s.tiles[static_cast<size_t>(first.buffer)], first.target, 0, 0,
                                          b.channels, &one);
    });
}

// The 1x1's results for input rows rows[0, count) of image `image` into
// ring rows ringRows[0, count): tiles of 64 pixels of each column phase
// turned channel-major (or copied from a channel-major input's planes),
// multiplied two tiles of as many vectors at a time, stored clamped (the
// 1x1 is pixel by pixel, so it may take the pixels in any order). Without
// an expansion the tiles go straight into the ring rows; with a fused
// stem, the stem's rows instead.
__attribute__((target("avx512f"))) void expandRows(const Block& b, const float* input, int64_t image, const int64_t* rows,
                                                  float* const* ringRows, int count, BandScratch& s) {
    if (b.stem) {
        for (int i = 0; i < count; ++i) makeStemRow(b.stemPlan, input, image, rows[i], s.stem, ringRows[i] + kMargin, b.channelFloats);
        return;
    }
    const int64_t planeFloats = b.inH * b.inW;
    PendingTile pending;
    for (int i = 0; i < count; ++i) {
        const float* rowStart = b.inputPlanes ? input + image * b.inputChannels * planeFloats + rows[i] * b.inW
                                              : input + (image * b.inH + rows[i]) * b.inW * b.inputChannels;
        for (int phase = 0; phase < b.stride; ++phase) {
            const int64_t pixels = (b.inW - phase + b.stride - 1) / b.stride;
            float* part = ringRows[i] + phase * b.partFloats;
            for (int64_t start = 0; start < pixels; start += kTilePixels) {
                const int valid = static_cast<int>(std::min<int64_t>(kTilePixels, pixels - start));
                const int64_t column = start * b.stride + phase;
                const float* first = b.inputPlanes ? rowStart + column : rowStart + column * b.inputChannels;
                // Into the buffer the pending tile does not hold.
                const int buffer = pending.valid > 0 ? 1 - pending.buffer : 0;
                float* tile = b.expands ? s.tiles[static_cast<size_t>(buffer)] : part + kMargin + start;
                const int64_t rowFloats = b.expands ? kTilePixels : b.channelFloats;
                withVectors(valid, [&](auto vectors) {
                    if (b.inputPlanes) fromPlanes<vectors()>(first, planeFloats, b.stride, valid, b.inputChannels, tile, rowFloats);
                    else toChannelMajor<vectors()>(first, b.stride * b.inputChannels, valid, b.inputChannels, tile, nullptr, rowFloats);
                });
                if (!b.expands) continue;
                const PendingTile made{buffer, valid, part + kMargin + start};
                const auto vectorsOf = [](int pixels) { return (pixels + kLanes - 1) / kLanes; };
                if (pending.valid > 0 && vectorsOf(pending.valid) == vectorsOf(valid)) {
                    expandTiles(b, s, pending, &made);
                    pending = PendingTile{};
                    continue;
                }
                if (pending.valid > 0) expandTiles(b, s, pending, nullptr);
                pending = made;
            }
        }
    }
    if (pending.valid > 0) expandTiles(b, s, pending, nullptr);
}

// Input rows a pair of output rows reads: kernel + stride of them, null in
// the padding.
using Window = std::array<const float*, kMaxRingRows>;

// The 16 inputs that tap kx of a centred kernel reads for the 16 outputs
// whose own inputs start at the aligned `at` (at stride 2, in the even
// columns' part; the odd ones' is `partFloats` on): shifted out of two
// aligned loads, where an unaligned load would read across two cache lines
// (pose detection's 3x3 stride-1 blocks' depthwise 23 % less of the
// profile; its stride-2 blocks 0.97x and 0.95x their time, alternating
// runs in one process).
template <int Kernel, int Stride>
__attribute__((target("avx512f"), always_inline, no_sanitize("undefined"))) inline __m512 shiftedTap(const float* at, int kx, int64_t partFloats) {
    // Input column Stride x + kx - Kernel / 2: its phase's part, `whole`
    // columns of that part from x.
    const int shift = kx - Kernel / 2;
    const int phase = ((shift % Stride) + Stride) % Stride;
    const float* part = at + phase * partFloats;
    const __m512i centre = _mm512_castps_si512(_mm512_load_ps(part));
    switch ((shift - phase) / Stride) {
    case -2: return _mm512_castsi512_ps(_mm512_alignr_epi32(centre, _mm512_castps_si512(_mm512_load_ps(part - kLanes)), kLanes - 2));
    case -1: return _mm512_castsi512_ps(_mm512_alignr_epi32(centre, _mm512_castps_si512(_mm512_load_ps(part - kLanes)), kLanes - 1));
    case 1: return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(_mm512_load_ps(part + kLanes)), centre, 1));
    case 2: return _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(_mm512_load_ps(part + kLanes)), centre, 2));
    default: return _mm512_castsi512_ps(centre);
    }
}

// The depthwise's output columns [column, column + 16 x Vectors) of two
// consecutive output rows (the second's sums are wasted where it has none),
// clamped, into middle[row][channel][pixel]. Each input vector loaded
// serves both rows where their kernels overlap, about halving the loads
// (pose detection's 56x56 block 0.50 -> 0.44 ms); channels are taken
// kGroup at a time for eight FMA chains. Centred: the padding half the
// kernel, its side taps shifted out of aligned loads.
// Without UBSan's checks, which in its 32 fully unrolled instances took
// clang 256 s to build this file with the sanitizers (32 s without them);
// ASan still checks every load and store.
template <int Kernel, int Stride, int Vectors, bool Centred = false>
__attribute__((target("avx512f"), no_sanitize("undefined"))) void depthwisePair(const Block& b, const Window& window, int64_t column, float* middle) {
    constexpr int kGroup = Vectors >= 3 ? 1 : Vectors == 2 ? 2 : 4;
    const __m512 lowest = _mm512_set1_ps(b.low), highest = _mm512_set1_ps(b.high);
    float* middleSecond = middle + wholeBlockRows(b.channels);
    for (int64_t c = 0; c < b.channels; c += kGroup) {
        int64_t channel[kGroup];  // past the last channel, the last again
        __m512 acc[2][kGroup][Vectors];
        for (int g = 0; g < kGroup; ++g) {
            channel[g] = std::min(c + g, b.channels - 1);
            const __m512 bias = _mm512_set1_ps(b.depthwiseBias[static_cast<size_t>(channel[g])]);
            for (int v = 0; v < Vectors; ++v) acc[0][g][v] = acc[1][g][v] = bias;
        }
#pragma GCC unroll 8
        for (int i = 0; i < Kernel + Stride; ++i) {
            if (!window[static_cast<size_t>(i)]) continue;
#pragma GCC unroll 8
            for (int kx = 0; kx < Kernel; ++kx) {
                const float* at = window[static_cast<size_t>(i)] + column + b.tapOffset[static_cast<size_t>(kx)];
#pragma GCC unroll 8
                for (int g = 0; g < kGroup; ++g) {
                    const float* weights = b.depthwiseWeights.data() + channel[g] * Kernel * Kernel + kx;
                    __m512 x[Vectors];
                    if constexpr (Centred) {
                        const float* row = window[static_cast<size_t>(i)] + column + kMargin + channel[g] * b.channelFloats;
#pragma GCC unroll 4
                        for (int v = 0; v < Vectors; ++v) x[v] = shiftedTap<Kernel, Stride>(row + v * kLanes, kx, b.partFloats);
                    } else {
#pragma GCC unroll 4
                        for (int v = 0; v < Vectors; ++v) x[v] = _mm512_loadu_ps(at + channel[g] * b.channelFloats + v * kLanes);
                    }
                    if (i < Kernel) {  // row i is the first output row's kernel row i
                        const __m512 weight = _mm512_set1_ps(weights[i * Kernel]);
#pragma GCC unroll 4
                        for (int v = 0; v < Vectors; ++v) acc[0][g][v] = _mm512_fmadd_ps(weight, x[v], acc[0][g][v]);
                    }
                    if (i >= Stride) {  // and the second's kernel row i - stride
                        const __m512 weight = _mm512_set1_ps(weights[(i - Stride) * Kernel]);
#pragma GCC unroll 4
                        for (int v = 0; v < Vectors; ++v) acc[1][g][v] = _mm512_fmadd_ps(weight, x[v], acc[1][g][v]);
                    }
                }
            }
        }
        for (int g = 0; g < kGroup; ++g)
            for (int v = 0; v < Vectors; ++v) {
                _mm512_store_ps(middle + channel[g] * kTilePixels + v * kLanes, _mm512_min_ps(_mm512_max_ps(acc[0][g][v], lowest), highest));
                _mm512_store_ps(middleSecond + channel[g] * kTilePixels + v * kLanes,
                                _mm512_min_ps(_mm512_max_ps(acc[1][g][v], lowest), highest));
            }
    }
}

// Output row `row` (of all images' rows) from `column` on: its tile of
// depthwise sums through the projection and residual, to NHWC or planes.
template <int Vectors>
__attribute__((target("avx512f"))) void finishTile(const Block& b, const BandScratch& s, const float* middle, int valid,
                                                  const RunArguments& arguments, int64_t row, int64_t column) {
    multiplyChunk<Vectors, kAccumulatorSets<Vectors>>(b.projection, 0, true, true, middle, s.sums, 0, 0, b.outputChannels);
    const int64_t image = row / b.outH, oy = row % b.outH;
    const int64_t at = b.outputPlanes ? image * b.outputChannels * b.outH * b.outW + oy * b.outW + column
                                      : (row * b.outW + column) * b.write.rowChannels;
    const float* residual = arguments.residual ? arguments.residual + at : nullptr;
    if (b.outputPlanes) toPlanes<Vectors>(b.write, s.sums, b.outputChannels, valid, b.outH * b.outW, residual, arguments.output + at);
    else toPixelMajor<Vectors>(b.write, s.sums, 0, 0, b.outputChannels, valid, residual, arguments.output + at);
}

void runBand(void* context, size_t band) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const Block& b = *arguments.block;
    BandScratch s = bandScratchOf(b, arguments.scratch + band * b.bandFloats);
    const int slots = b.kernelSize + b.stride;  // the consecutive rows of a pair never share a slot
    for (int slot = 0; slot < slots; ++slot) zeroRingEdges(b, s.ring + static_cast<size_t>(slot) * b.ringRowFloats);
    std::array<int64_t, kMaxRingRows> held;  // image * inH + row in each ring slot, -1 for none
    held.fill(-1);
    const int64_t rows = b.batch * b.outH;
    const int64_t first = static_cast<int64_t>(band) * b.bands.rowsPerBand, end = std::min(rows, first + b.bands.rowsPerBand);
    for (int64_t r = first; r < end;) {
        const int64_t image = r / b.outH, oy = r % b.outH;
        const bool second = r + 1 < end && oy + 1 < b.outH;
        Window window{};
        // The rows the window lacks, made together (their tiles expand in pairs).
        std::array<int64_t, kMaxRingRows> missing;
        std::array<float*, kMaxRingRows> missingRings;
        int missingCount = 0;
        for (int i = 0; i < (second ? slots : b.kernelSize); ++i) {
            const int64_t iy = oy * b.stride - b.padTop + i;
            if (iy < 0 || iy >= b.inH) continue;
            const auto slot = static_cast<size_t>(iy % slots);
            float* ringRow = s.ring + slot * b.ringRowFloats;
            if (held[slot] != image * b.inH + iy) {
                missing[static_cast<size_t>(missingCount)] = iy;
                missingRings[static_cast<size_t>(missingCount++)] = ringRow;
                held[slot] = image * b.inH + iy;
            }
            window[static_cast<size_t>(i)] = ringRow;
        }
        expandRows(b, arguments.input, image, missing.data(), missingRings.data(), missingCount, s);
        for (int64_t column = 0; column < b.outW; column += kTilePixels) {
            const int valid = static_cast<int>(std::min<int64_t>(kTilePixels, b.outW - column));
            withVectors(valid, [&](auto vectors) {
                switch (b.kernelSize * 10 + b.stride) {
                case 31:
                    if (b.padLeft == 1) depthwisePair<3, 1, vectors(), true>(b, window, column, s.middle);
                    else depthwisePair<3, 1, vectors()>(b, window, column, s.middle);
                    break;
                case 32:
                    if (b.padLeft == 1) depthwisePair<3, 2, vectors(), true>(b, window, column, s.middle);
                    else depthwisePair<3, 2, vectors()>(b, window, column, s.middle);
                    break;
                case 51:
                    if (b.padLeft == 2) depthwisePair<5, 1, vectors(), true>(b, window, column, s.middle);
                    else depthwisePair<5, 1, vectors()>(b, window, column, s.middle);
                    break;
                default:
                    if (b.padLeft == 2) depthwisePair<5, 2, vectors(), true>(b, window, column, s.middle);
                    else depthwisePair<5, 2, vectors()>(b, window, column, s.middle);
                    break;
                }
                for (int row = 0; row < (second ? 2 : 1); ++row)
                    finishTile<vectors()>(b, s, s.middle + row * wholeBlockRows(b.channels), valid, arguments, r + row, column);
            });
        }
        r += second ? 2 : 1;
    }
}

Status prepareBlock(KernelContext& context) {
    const Op& op = *context.op;
    const RuntimeTensor& input = context.input(0);
    if (input.rank() != 4 || input.type != DataType::Float32)
        return context.error("expects a float32 [batch, height, width, channels] input, got " + input.name);
    const auto* options = op.options->builtin_options_as_DepthwiseConv2DOptions();
    if (!options) return context.error("has no depthwise options");
    if (op.fusedExpansion && !context.hasInput(kExpansion)) return context.error("has no expanding 1x1 filter (input 6)");
    if (!context.hasInput(kProjection)) return context.error("has no projecting 1x1 filter (input 3)");

    auto state = std::make_shared<Block>();
    Block& b = *state;
    b.batch = input.dim(0), b.inH = input.dim(1), b.inW = input.dim(2), b.inputChannels = input.dim(3);
    b.expands = op.fusedExpansion;
    b.stride = options->stride_w();
    if (options->stride_h() != b.stride || b.stride < 1 || b.stride > kMaxStride)
        return context.error("expects a depthwise convolution of stride 1 or 2 both ways");
    if (op.fusedStem) {
        // The depthwise's input is the stem's output, made here.
        if (b.expands || b.stride != 1) return context.error("takes a stem only before a stride-1 depthwise without an expansion");
        LS_RETURN_IF_ERROR(planStem(context, kExpansion, op.stemOptions, op.stemPadding, op.stemActivation, b.stemPlan));
        b.stem = true;
        b.inH = b.stemPlan.outH, b.inW = b.stemPlan.outW, b.inputChannels = b.stemPlan.channels;
    }
    b.channels = b.inputChannels;
    const int64_t phasePixels = (b.inW + b.stride - 1) / b.stride;
    if (b.expands) {
        LS_RETURN_IF_ERROR(packNonzeros(context, kExpansion, b.inputChannels, b.inputChannels, 0, b.expansion));
        b.channels = b.expansion.outputChannels;
        std::tie(b.expansionLow, b.expansionHigh) = activationRange(op.expansionActivation);
    }

    const RuntimeTensor& filter = context.input(1);
    if (filter.rank() != 4 || filter.dim(0) != 1 || filter.dim(1) != filter.dim(2) || filter.dim(3) != b.channels ||
        (filter.dim(1) != 3 && filter.dim(1) != 5))
        return context.error("expects a 3x3 or 5x5 depthwise filter [1, k, k, " + std::to_string(b.channels) + "], got " + filter.name +
                             " " + shapeText(filter.shape));
    b.kernelSize = filter.dim(1);
    // [1][ky][kx][channel] -> [channel][ky][kx]
    std::vector<float> filterValues(static_cast<size_t>(filter.elementCount()));
    reference::toFloats(filter, filterValues.data());
    const int taps = b.kernelSize * b.kernelSize;
    b.depthwiseWeights.resize(static_cast<size_t>(b.channels * taps));
    for (int64_t c = 0; c < b.channels; ++c)
        for (int t = 0; t < taps; ++t)
            b.depthwiseWeights[static_cast<size_t>(c * taps + t)] = filterValues[static_cast<size_t>(t * b.channels + c)];
    b.depthwiseBias.assign(static_cast<size_t>(b.channels), 0.0f);
    LS_RETURN_IF_ERROR(readFloatBias(context, b.channels, b.depthwiseBias.data()));
    std::tie(b.low, b.high) = clampRange(context, options->fused_activation_function());

    PaddedPlane plane;
    LS_RETURN_IF_ERROR(
        paddedPlane(context, b.inH, b.inW, b.kernelSize, b.stride, b.stride, options->padding() == schema::Padding_SAME, plane));
    b.outH = plane.outH, b.outW = plane.outW, b.padTop = plane.padTop, b.padLeft = plane.padLeft;
    if (b.padLeft > kMargin) return context.error("padding wider than a ring row's margin");

    // A part of a ring row's channel: the margin, its pixels, then zeros as
    // far as an output tile's last vector reads. Output column x's tap kx
    // reads input column stride * x + kx - padLeft: in the part of its
    // phase, at x plus that offset's whole strides.
    const auto roundUp = [](int64_t n) { return (n + kLanes - 1) / kLanes * kLanes; };
    const int64_t reach = (b.kernelSize - 1 - b.padLeft) / b.stride;
    b.partFloats = kMargin + roundUp(std::max(roundUp(phasePixels), roundUp(b.outW) + std::max<int64_t>(reach, 0))) + kMargin;
    b.channelFloats = b.stride * b.partFloats;
    for (int kx = 0; kx < b.kernelSize; ++kx) {
        const int64_t shift = kx - b.padLeft;
        const int64_t phase = ((shift % b.stride) + b.stride) % b.stride;
        b.tapOffset[static_cast<size_t>(kx)] = phase * b.partFloats + kMargin + (shift - phase) / b.stride;
    }
    b.ringRowFloats = static_cast<size_t>(b.channels * b.channelFloats);

    LS_RETURN_IF_ERROR(packNonzeros(context, kProjection, b.channels, b.channels, 0, b.projection));
    b.outputChannels = b.projection.outputChannels;
    b.write = TileWrite{b.outputChannels};
    std::tie(b.write.low, b.write.high) = activationRange(op.pointwiseActivation);
    if (op.fusedResidual) {
        const std::vector<int32_t> outShape{input.dim(0), static_cast<int32_t>(b.outH), static_cast<int32_t>(b.outW),
                                            static_cast<int32_t>(b.outputChannels)};
        if (!context.hasInput(kResidual) || context.input(kResidual).shape != outShape || context.input(kResidual).type != DataType::Float32)
            return context.error("adds a tensor of another shape than the block's result " + shapeText(outShape));
        b.write.residual = true;
        if (context.input(kResidual).channelMajor != context.output(0).channelMajor)
            return context.error("adds a tensor laid out otherwise than its result");
        std::tie(b.write.residualLow, b.write.residualHigh) = activationRange(op.residualActivation);
    }

    b.inputPlanes = input.channelMajor && !b.stem;
    b.outputPlanes = context.output(0).channelMajor;
    b.bandFloats = bandLayoutOf(b).floats;
    LS_RETURN_IF_ERROR(splitIntoBands(context, b.batch * b.outH, b.bandFloats, b.bands));
    context.output(0).shape = {input.dim(0), static_cast<int32_t>(b.outH), static_cast<int32_t>(b.outW), static_cast<int32_t>(b.outputChannels)};
    context.state = state;
    return Status::ok();
}

Status evalBlock(KernelContext& context) {
    const auto& b = *static_cast<const Block*>(context.state.get());
    RunArguments arguments{&b, context.input(0).as<const float>(), b.write.residual ? context.input(kResidual).as<const float>() : nullptr,
                           context.output(0).as<float>(), bandScratch(context)};
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), runBand, &arguments, static_cast<size_t>(b.bands.bands));
    return Status::ok();
}

bool prunedFilter(const Subgraph& subgraph, int tensor, int64_t inputChannels) {
    if (tensor < 0) return false;
    const Tensor& filter = subgraph.tensors[static_cast<size_t>(tensor)];
    return isConstantFloat(filter) && filter.shape.size() == 4 && filter.shape[1] == 1 && filter.shape[2] == 1 &&
           filter.shape[3] == inputChannels && nonzeroShare(filter) <= kMostNonzeros;
}

}  // namespace

const KernelDef* sparseInvertedResidualKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = prepareBlock,
                                  .eval = evalBlock,
                                  .writesChannelMajor = true,
                                  .readsChannelMajor = [](const Op& fused, size_t input) {
                                      return (input == 0 && !fused.fusedStem) || input == kResidual;
                                  }};
    const bool expands = op.fusedExpansion, stem = op.fusedStem;
    const size_t inputs = expands || stem ? 8u : op.fusedResidual ? 6u : 5u;
    if (!cpuHasAvx512() || !op.fusedSeparableBlock || op.expansionEpilogue != Op::Epilogue::None ||
        model.opCode(op).builtin != schema::BuiltinOperator_DEPTHWISE_CONV_2D ||
        op.inputs.size() != inputs || op.inputs[0] < 0 || op.inputs[1] < 0 || op.outputs.size() != 1 || op.outputs[0] < 0 ||
        (op.fusedResidual && op.inputs[kResidual] < 0))
        return nullptr;
    const auto* options = op.options ? op.options->builtin_options_as_DepthwiseConv2DOptions() : nullptr;
    if (!options || options->stride_h() != options->stride_w() || options->stride_w() < 1 || options->stride_w() > kMaxStride ||
        options->dilation_h_factor() != 1 || options->dilation_w_factor() != 1 || options->depth_multiplier() > 1 ||
        !isClampActivation(options->fused_activation_function()) || !isClampActivation(std::max(op.expansionActivation, 0)) ||
        !isClampActivation(std::max(op.pointwiseActivation, 0)) || !isClampActivation(std::max(op.residualActivation, 0)))
        return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    if (input.type != DataType::Float32 || input.shape.size() != 4) return nullptr;
    // With a stem, the depthwise reads the stem's output: its width and
    // channels stand for the input's below.
    int64_t rowPixels = input.shape[2], inputChannels = input.shape[3];
    if (stem) {
        const auto* conv = op.stemOptions ? op.stemOptions->builtin_options_as_Conv2DOptions() : nullptr;
        if (expands || options->stride_w() != 1 || !conv || conv->stride_w() < 1 || op.inputs[kExpansion] < 0 ||
            !isConstantFloat(subgraph.tensors[static_cast<size_t>(op.inputs[kExpansion])]) ||
            !isFloatConstantOrAbsent(subgraph, op.inputs[kExpansion + 1]) ||
            subgraph.tensors[static_cast<size_t>(op.inputs[kExpansion])].shape.size() != 4)
            return nullptr;
        rowPixels = convolutionOutputSize(input.shape[2] + op.stemPadding[2] + op.stemPadding[3], 3, conv->stride_w(),
                                          conv->padding() == schema::Padding_SAME);
        inputChannels = subgraph.tensors[static_cast<size_t>(op.inputs[kExpansion])].shape[0];
    }
    if (rowPixels < kLeastRowPixels) return nullptr;
    // The zeros left of a ring row's pixels: a folded PAD (and SAME's own) no wider.
    if (op.fusedPadding[2] + kMaxKernel / 2 > kMargin) return nullptr;
    // A residual of fewer channels (a channel PAD folded in) is the dense block's.
    if (op.fusedResidual &&
        subgraph.tensors[static_cast<size_t>(op.inputs[kResidual])].shape != subgraph.tensors[static_cast<size_t>(op.outputs[0])].shape)
        return nullptr;
    // Where the expansion alone repays the sparse 1x1 kernel's transposes, that kernel takes it (measured there).
    if (expands && (!prunedFilter(subgraph, op.inputs[kExpansion], inputChannels) ||
                    !isFloatConstantOrAbsent(subgraph, op.inputs[kExpansion + 1]) ||
                    sparsePointwiseWorkPerTransposed(subgraph.tensors[static_cast<size_t>(op.inputs[kExpansion])]) >= kExpansionAlone))
        return nullptr;
    const int64_t channels = expands ? subgraph.tensors[static_cast<size_t>(op.inputs[kExpansion])].shape[0] : inputChannels;
    const Tensor& depthwise = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    if (!isConstantFloat(depthwise) || !isFloatConstantOrAbsent(subgraph, op.inputs[2]) || depthwise.shape.size() != 4 ||
        depthwise.shape[0] != 1 || depthwise.shape[1] != depthwise.shape[2] || (depthwise.shape[1] != 3 && depthwise.shape[1] != 5) ||
        depthwise.shape[3] != channels)
        return nullptr;
    if (!prunedFilter(subgraph, op.inputs[kProjection], channels) || !isFloatConstantOrAbsent(subgraph, op.inputs[kProjection + 1])) return nullptr;
    // Nonzeros an input pixel over the channels an input pixel transposes
    // (the block's input and output; at stride 2 an output pixel is a
    // quarter of one). Pose detection's 56x56 24 -> 144 -> 24 block (36)
    // ran 0.73x the dense block's time; face detection full range sparse's
    // 48x48 32 -> 16 -> 64 one (4.8) 1.9x.
    const double outputShare = 1.0 / double(options->stride_w() * options->stride_w());
    const auto nonzerosOf = [&](int tensor) {
        const Tensor& filter = subgraph.tensors[static_cast<size_t>(tensor)];
        return nonzeroShare(filter) * double(filter.shape[0]) * double(filter.shape[3]);
    };
    const double nonzeros = (expands ? nonzerosOf(op.inputs[kExpansion]) : 0.0) + outputShare * nonzerosOf(op.inputs[kProjection]);
    const double transposed =
        double(inputChannels) + outputShare * double(subgraph.tensors[static_cast<size_t>(op.inputs[kProjection])].shape[0]);
    if (nonzeros < (expands ? kLeastWorkPerTransposed : kLeastSeparableWorkPerTransposed) * transposed) return nullptr;
    return &kernel;
}

}  // namespace litestudio::cpu
