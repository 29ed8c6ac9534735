#include "accelerators/cpu/float_winograd_convolution.h"

#include "accelerators/cpu/avx512_intrinsics.h"

#include <pthreadpool.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <tuple>
#include <vector>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/float_pointwise_convolution.h"
#include "accelerators/cpu/fused_epilogue.h"
#include "accelerators/cpu/scratch_slots.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int kLanes = 16;
// Tiles of one GEMM: enough rows that each transformed weight read from L2
// serves many (a chunk's GEMMs stream points x in x out weights), few
// enough that a chunk's transformed input and output stay near 4 MiB.
constexpr int64_t kChunkBytes = 4 << 20;
constexpr int64_t kMostChunkTiles = 96, kLeastChunkTiles = 24;
constexpr int64_t kItemsPerThread = 4;
// F(4x4, 3x3) streams 36 transformed weight matrices where F(2x2, 3x3)
// streams 16, each used once a tile of a thread's share: below 16 tiles a
// thread, that traffic costs more than the multiplies it saves (ResNet's
// 14x14x256 layers: 0.9x on one thread, 16 tiles; 1.05x on two, 8 each).
constexpr int64_t kLeastLargeTilesPerThread = 16;

struct PackedWinograd {
    int64_t batch = 0, inH = 0, inW = 0, inputChannels = 0, outH = 0, outW = 0, outputChannels = 0;
    int padTop = 0, padLeft = 0;
    int tile = 2;     // outputs a side of one tile: F(2x2, 3x3) or F(4x4, 3x3)
    int points = 16;  // transformed values of one (tile + 2)^2 input patch
    int64_t tilesH = 0, tilesW = 0, tiles = 0, chunkTiles = 0, items = 1;
    // Items are tile shares times groups of output blocks (one group but
    // where outputBlockGroups gives more).
    int64_t tileShares = 1, blockGroups = 1;
    // Or, where every tile fits one chunk on two threads or more, shares of
    // the points instead (pointShares > 1): each thread transforms every
    // tile's input and multiplies the rows of points it owns, into one M
    // that all threads write (after the slots in the scratch); a second
    // loop then transforms the outputs tile by tile.
    int64_t pointShares = 1;
    ScratchSlots slots;  // one a thread
    // The first tile of the chunk whose transformed input each slot holds
    // (-1: none), set afresh by each eval: another group's item over the
    // same chunk skips the transform.
    std::unique_ptr<int64_t[]> heldChunks;
    std::vector<PointwiseWeights> transformed;  // U for each point: [in][out] as the 1x1 kernel packs it
    std::vector<float> bias;                    // [out], padded to whole vectors
    float low = 0, high = 0;
    Op::Epilogue epilogue = Op::Epilogue::None;  // a fused activation applied last (fused_epilogue.h)
    std::vector<float> slopes;                   // a fused PRELU's, [out] padded like the bias; empty for none
    int64_t slotFloats() const { return points * chunkTiles * (inputChannels + outputChannels); }
};

struct RunArguments {
    const PackedWinograd* p;
    const float* input;
    float* output;
    float* scratch;  // slots.count() slots of slotFloats()
    float* sharedM = nullptr;  // point shares: M of every tile, after the slots
};

// G of F(2x2, 3x3) and of F(4x4, 3x3) (Lavin and Gray's), one row per
// transformed point of a filter row: U = G g G^T.
constexpr double kFilterTransform2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
constexpr double kFilterTransform4[6][3] = {{1.0 / 4, 0, 0},           {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                            {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};

// U = G g G^T for one 3x3 filter g (row-major), in double so that the
// sixths and twenty-fourths of F(4x4) round once.
void transformFilter(int tile, const float* g, float* u) {
    const int patch = tile + 2;
    auto G = [&](int row, int col) { return tile == 2 ? kFilterTransform2[row][col] : kFilterTransform4[row][col]; };
    double gg[6][3];  // G g
    for (int row = 0; row < patch; ++row)
        for (int col = 0; col < 3; ++col) gg[row][col] = G(row, 0) * g[col] + G(row, 1) * g[3 + col] + G(row, 2) * g[6 + col];
    for (int row = 0; row < patch; ++row)
        for (int col = 0; col < patch; ++col)
            u[row * patch + col] = static_cast<float>(gg[row][0] * G(col, 0) + gg[row][1] * G(col, 1) + gg[row][2] * G(col, 2));
}

// B^T x for one line of a patch. F(2x2): B^T = [1 0 -1 0; 0 1 1 0;
// 0 -1 1 0; 0 1 0 -1]. F(4x4): B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0;
// 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1].
template <int Tile>
__attribute__((target("avx512f"))) inline void inputLine(const __m512 (&x)[Tile + 2], __m512 (&r)[Tile + 2]) {
    if constexpr (Tile == 2) {
        r[0] = _mm512_sub_ps(x[0], x[2]), r[1] = _mm512_add_ps(x[1], x[2]);
        r[2] = _mm512_sub_ps(x[2], x[1]), r[3] = _mm512_sub_ps(x[1], x[3]);
    } else {
        const __m512 two = _mm512_set1_ps(2), four = _mm512_set1_ps(4), five = _mm512_set1_ps(5);
        const __m512 oddMinusEven = _mm512_sub_ps(x[3], x[1]), outer = _mm512_sub_ps(x[4], x[2]);
        r[0] = _mm512_fmadd_ps(four, x[0], _mm512_fnmadd_ps(five, x[2], x[4]));
        r[1] = _mm512_fnmadd_ps(four, _mm512_add_ps(x[1], x[2]), _mm512_add_ps(x[3], x[4]));
        r[2] = _mm512_fmadd_ps(four, _mm512_sub_ps(x[1], x[2]), _mm512_sub_ps(x[4], x[3]));
        r[3] = _mm512_fmadd_ps(two, oddMinusEven, outer);
        r[4] = _mm512_fnmadd_ps(two, oddMinusEven, outer);
        r[5] = _mm512_fmadd_ps(four, x[1], _mm512_fnmadd_ps(five, x[3], x[5]));
    }
}

// A^T x for one line of transformed products. F(2x2): A^T = [1 1 1 0;
// 0 1 -1 -1]. F(4x4): A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0;
// 0 1 -1 8 -8 1].
template <int Tile>
__attribute__((target("avx512f"))) inline void outputLine(const __m512 (&x)[Tile + 2], __m512 (&y)[Tile]) {
    if constexpr (Tile == 2) {
        y[0] = _mm512_add_ps(_mm512_add_ps(x[0], x[1]), x[2]);
        y[1] = _mm512_sub_ps(_mm512_sub_ps(x[1], x[2]), x[3]);
    } else {
        const __m512 sum12 = _mm512_add_ps(x[1], x[2]), difference12 = _mm512_sub_ps(x[1], x[2]);
        const __m512 sum34 = _mm512_add_ps(x[3], x[4]), difference34 = _mm512_sub_ps(x[3], x[4]);
        y[0] = _mm512_add_ps(_mm512_add_ps(x[0], sum12), sum34);
        y[1] = _mm512_fmadd_ps(_mm512_set1_ps(2), difference34, difference12);
        y[2] = _mm512_fmadd_ps(_mm512_set1_ps(4), sum34, sum12);
        y[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8), difference34, difference12), x[5]);
    }
}

// Tiles [first, first + count) of the chunk, channels of 16 at a time:
// V = B^T d B of each input patch d (zeros outside the image), written as
// one GEMM input of `count` rows of inputChannels per point.
template <int Tile>
__attribute__((target("avx512f"))) void transformInput(const PackedWinograd& p, const float* input, int64_t first, int64_t count, float* v,
                                                        int firstRow = 0, int endRow = Tile + 2) {
    constexpr int kPatch = Tile + 2;
    const int64_t rowStride = count * p.inputChannels;  // floats between two points' GEMM inputs
    for (int64_t t = 0; t < count; ++t) {
        const int64_t tile = first + t, batch = tile / (p.tilesH * p.tilesW), inPlane = tile % (p.tilesH * p.tilesW);
        const int64_t y0 = Tile * (inPlane / p.tilesW) - p.padTop, x0 = Tile * (inPlane % p.tilesW) - p.padLeft;
        const float* image = input + batch * p.inH * p.inW * p.inputChannels;
        const float* at[kPatch][kPatch];
        for (int i = 0; i < kPatch; ++i)
            for (int j = 0; j < kPatch; ++j) {
                const int64_t y = y0 + i, x = x0 + j;
                at[i][j] = y >= 0 && y < p.inH && x >= 0 && x < p.inW ? image + (y * p.inW + x) * p.inputChannels : nullptr;
            }
        float* out = v + t * p.inputChannels;
        for (int64_t c = 0; c < p.inputChannels; c += kLanes) {
            const __mmask16 lanes = firstLanes(p.inputChannels - c);
            __m512 rows[kPatch][kPatch];  // B^T d
            for (int j = 0; j < kPatch; ++j) {
                __m512 column[kPatch], transformed[kPatch];
                for (int i = 0; i < kPatch; ++i) column[i] = at[i][j] ? _mm512_maskz_loadu_ps(lanes, at[i][j] + c) : _mm512_setzero_ps();
                inputLine<Tile>(column, transformed);
                for (int i = 0; i < kPatch; ++i) rows[i][j] = transformed[i];
            }
            for (int i = firstRow; i < endRow; ++i) {
                __m512 transformed[kPatch];
                inputLine<Tile>(rows[i], transformed);
                float* point = out + static_cast<int64_t>(i * kPatch) * rowStride + c;
                for (int j = 0; j < kPatch; ++j) _mm512_mask_storeu_ps(point + j * rowStride, lanes, transformed[j]);
            }
        }
    }
}

// An output vector of channels [c, c + 16): clamped (low and high first: a
// NaN comes through), then through the fused activation.
__attribute__((target("avx512f"))) inline __m512 finished(const PackedWinograd& p, __m512 value, int64_t c) {
    value = _mm512_min_ps(_mm512_set1_ps(p.high), _mm512_max_ps(_mm512_set1_ps(p.low), value));
    if (p.epilogue == Op::Epilogue::None) return value;
    return applyEpilogue(p.epilogue, value, p.slopes.empty() ? nullptr : p.slopes.data(), c);
}

// Y = A^T M A for each tile of [first, first + count), plus the bias,
// clamped and through the fused activation, into the outputs inside the
// plane. `m` holds `mTiles` tiles a point, the first of them `first`.
template <int Tile>
__attribute__((target("avx512f"))) void transformOutput(const PackedWinograd& p, const float* m, int64_t mTiles, int64_t first, int64_t count,
                                                         int64_t firstChannel, int64_t endChannel, float* output) {
    constexpr int kPatch = Tile + 2;
    const int64_t rowStride = mTiles * p.outputChannels;
    for (int64_t t = 0; t < count; ++t) {
        const int64_t tile = first + t, batch = tile / (p.tilesH * p.tilesW), inPlane = tile % (p.tilesH * p.tilesW);
        const int64_t y0 = Tile * (inPlane / p.tilesW), x0 = Tile * (inPlane % p.tilesW);
        const int rows = static_cast<int>(std::min<int64_t>(Tile, p.outH - y0)), columns = static_cast<int>(std::min<int64_t>(Tile, p.outW - x0));
        float* base = output + ((batch * p.outH + y0) * p.outW + x0) * p.outputChannels;
        const float* in = m + t * p.outputChannels;
        for (int64_t c = firstChannel; c < endChannel; c += kLanes) {
            const __mmask16 lanes = firstLanes(endChannel - c);
            __m512 s[Tile][kPatch];  // A^T M
            for (int j = 0; j < kPatch; ++j) {
                __m512 column[kPatch], reduced[Tile];
                for (int i = 0; i < kPatch; ++i) column[i] = _mm512_maskz_loadu_ps(lanes, in + static_cast<int64_t>(i * kPatch + j) * rowStride + c);
                outputLine<Tile>(column, reduced);
                for (int i = 0; i < Tile; ++i) s[i][j] = reduced[i];
            }
            const __m512 bias = _mm512_loadu_ps(p.bias.data() + c);
            for (int i = 0; i < rows; ++i) {
                __m512 y[Tile];
                outputLine<Tile>(s[i], y);
                float* row = base + static_cast<int64_t>(i) * p.outW * p.outputChannels + c;
                for (int j = 0; j < columns; ++j)
                    _mm512_mask_storeu_ps(row + j * p.outputChannels, lanes, finished(p, _mm512_add_ps(y[j], bias), c));
            }
        }
    }
}

// One item: a group of output blocks over a share of the tiles, a chunk
// at a time, in a free slot.
template <int Tile>
void runItem(void* context, size_t item) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const PackedWinograd& p = *arguments.p;
    const int64_t share = static_cast<int64_t>(item) / p.blockGroups, group = static_cast<int64_t>(item) % p.blockGroups;
    const int64_t begin = share * p.tiles / p.tileShares, end = (share + 1) * p.tiles / p.tileShares;
    const int64_t blocks = p.transformed.front().blocks;
    const int64_t firstBlock = group * blocks / p.blockGroups, endBlock = (group + 1) * blocks / p.blockGroups;
    const int64_t firstChannel = firstBlock * kPointwiseBlockChannels, endChannel = std::min(p.outputChannels, endBlock * kPointwiseBlockChannels);
    const int64_t slot = p.slots.claim(static_cast<int64_t>(item));
    float* v = arguments.scratch + slot * p.slotFloats();
    float* m = v + p.points * p.chunkTiles * p.inputChannels;
    int64_t& held = p.heldChunks[static_cast<size_t>(slot)];
    for (int64_t first = begin; first < end; first += p.chunkTiles) {
        const int64_t count = std::min(p.chunkTiles, end - first);
        if (held != first) transformInput<Tile>(p, arguments.input, first, count, v);
        held = first;
        for (int point = 0; point < p.points; ++point)
            multiplyPixelBlocks(p.transformed[static_cast<size_t>(point)], firstBlock, endBlock, v + point * count * p.inputChannels, count,
                                m + point * count * p.outputChannels);
        transformOutput<Tile>(p, m, count, first, count, firstChannel, endChannel, arguments.output);
    }
    p.slots.release(slot);
}

// Point shares, first loop: share `share` of the rows of points, over
// every tile, into the shared M.
template <int Tile>
void runPointShare(void* context, size_t share) {
    constexpr int kPatch = Tile + 2;
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const PackedWinograd& p = *arguments.p;
    const int firstRow = static_cast<int>(static_cast<int64_t>(share) * kPatch / p.pointShares);
    const int endRow = static_cast<int>((static_cast<int64_t>(share) + 1) * kPatch / p.pointShares);
    const int64_t slot = p.slots.claim(static_cast<int64_t>(share));
    float* v = arguments.scratch + slot * p.slotFloats();
    transformInput<Tile>(p, arguments.input, 0, p.tiles, v, firstRow, endRow);
    const int64_t blocks = p.transformed.front().blocks;
    for (int point = firstRow * kPatch; point < endRow * kPatch; ++point)
        multiplyPixelBlocks(p.transformed[static_cast<size_t>(point)], 0, blocks, v + point * p.tiles * p.inputChannels, p.tiles,
                            arguments.sharedM + point * p.tiles * p.outputChannels);
    p.slots.release(slot);
}

// Point shares, second loop: the outputs of tiles [first, first + count).
template <int Tile>
void runOutputTiles(void* context, size_t first, size_t count) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const PackedWinograd& p = *arguments.p;
    transformOutput<Tile>(p, arguments.sharedM + static_cast<int64_t>(first) * p.outputChannels, p.tiles, static_cast<int64_t>(first),
                          static_cast<int64_t>(count), 0, p.outputChannels, arguments.output);
}

Status prepareWinograd(KernelContext& context) {
    RuntimeTensor padded;
    LS_RETURN_IF_ERROR(prepareReferenceConvolution(context, padded));
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& out = context.output(0);
    if (input.rank() != 4 || filter.rank() != 4 || filter.dim(1) != 3 || filter.dim(2) != 3 || filter.dim(3) != input.dim(3) ||
        out.rank() != 4)
        return context.error("expects a 3x3 filter [out, 3, 3, " + std::to_string(input.rank() == 4 ? input.dim(3) : 0) + "] over a 4-D input");
    auto packed = std::make_shared<PackedWinograd>();
    PackedWinograd& p = *packed;
    p.batch = input.dim(0), p.inH = input.dim(1), p.inW = input.dim(2), p.inputChannels = input.dim(3);
    p.outH = out.dim(1), p.outW = out.dim(2), p.outputChannels = out.dim(3);
    p.padTop = paddingBefore(padded.dim(1), p.outH, 3, 1) + context.op->fusedPadding[0];
    p.padLeft = paddingBefore(padded.dim(2), p.outW, 3, 1) + context.op->fusedPadding[2];
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    const int64_t threads = pool ? static_cast<int64_t>(pthreadpool_get_threads_count(pool)) : 1;
    const WinogradPlan plan = floatWinogradPlan(p.batch, p.outH, p.outW, p.inputChannels, p.outputChannels, threads);
    p.tile = plan.tile, p.points = (p.tile + 2) * (p.tile + 2), p.blockGroups = plan.blockGroups, p.pointShares = plan.pointShares;
    const int64_t blocks = (p.outputChannels + kPointwiseBlockChannels - 1) / kPointwiseBlockChannels;
    p.tilesH = (p.outH + p.tile - 1) / p.tile, p.tilesW = (p.outW + p.tile - 1) / p.tile, p.tiles = p.batch * p.tilesH * p.tilesW;
    const int64_t perTile = p.points * (p.inputChannels + p.outputChannels) * int64_t(sizeof(float));
    p.chunkTiles = std::clamp<int64_t>(kChunkBytes / std::max<int64_t>(perTile, 1), kLeastChunkTiles, kMostChunkTiles) / 6 * 6;
    // On more threads than one, items of about a quarter of a thread's
    // share (kLeastChunkTiles tiles or more, a chunk at most), a whole
    // number a thread: a thread that finishes first takes the other's last.
    // With one item a thread, SqueezeNet-shaped's 55x55 16 -> 64 layer
    // ended 0.053 ms apart (of 0.169) and YOLOv8n's 40x40 64 -> 80 0.044
    // (of 0.245).
    p.items = p.tileShares = 1;
    if (p.pointShares > 1) {
        p.chunkTiles = p.tiles;  // a slot holds V of every tile
        p.items = p.pointShares;
    } else if (p.blockGroups > 1) {
        p.tileShares = std::max<int64_t>(1, (p.tiles + p.chunkTiles - 1) / p.chunkTiles);
        p.items = p.tileShares * p.blockGroups;
    } else if (threads > 1) {
        const int64_t itemTiles = std::min(p.chunkTiles, std::max(kLeastChunkTiles, p.tiles / (threads * kItemsPerThread)));
        p.items = p.tileShares = itemsOnThreads((p.tiles + itemTiles - 1) / itemTiles, threads, p.tiles);
    }
    p.slots = ScratchSlots(std::min(threads, p.items));
    p.heldChunks = std::make_unique<int64_t[]>(static_cast<size_t>(p.slots.count()));

    // U for every point: the filter's transformed values per (out, in),
    // each point's [in][out] packed as a 1x1 convolution's weights.
    std::vector<float> weights(static_cast<size_t>(filter.elementCount()));
    reference::toFloats(filter, weights.data());
    p.transformed.resize(static_cast<size_t>(p.points));
    for (PointwiseWeights& u : p.transformed) {
        u.inputChannels = p.inputChannels, u.outputChannels = p.outputChannels, u.blocks = blocks;
        u.weights.assign(static_cast<size_t>(blocks * p.inputChannels * kPointwiseBlockChannels), 0.0f);
        u.bias.assign(static_cast<size_t>(blocks * kPointwiseBlockChannels), 0.0f);
        u.low = -std::numeric_limits<float>::infinity(), u.high = std::numeric_limits<float>::infinity();
    }
    float g[9], u[36];
    for (int64_t o = 0; o < p.outputChannels; ++o)
        for (int64_t c = 0; c < p.inputChannels; ++c) {
            for (int tap = 0; tap < 9; ++tap) g[tap] = weights[static_cast<size_t>((o * 9 + tap) * p.inputChannels + c)];
            transformFilter(p.tile, g, u);
            const size_t at = static_cast<size_t>(((o / kPointwiseBlockChannels) * p.inputChannels + c) * kPointwiseBlockChannels +
                                                  o % kPointwiseBlockChannels);
            for (int point = 0; point < p.points; ++point) p.transformed[static_cast<size_t>(point)].weights[at] = u[point];
        }
    p.bias.assign(static_cast<size_t>((p.outputChannels + kLanes - 1) / kLanes * kLanes), 0.0f);
    LS_RETURN_IF_ERROR(readFloatBias(context, p.outputChannels, p.bias.data()));
    p.epilogue = context.op->fusedEpilogue;
    LS_RETURN_IF_ERROR(readPreluSlopes(context, p.outputChannels, p.bias.size(), p.slopes));
    const auto* options = context.op->options->builtin_options_as_Conv2DOptions();
    std::tie(p.low, p.high) = clampRange(context, options->fused_activation_function());
    context.scratchBytes = static_cast<size_t>(p.slots.count() * p.slotFloats() + (p.pointShares > 1 ? p.points * p.tiles * p.outputChannels : 0)) *
                           sizeof(float);
    context.state = packed;
    return Status::ok();
}

Status evalWinograd(KernelContext& context) {
    const auto& p = *static_cast<const PackedWinograd*>(context.state.get());
    std::fill_n(p.heldChunks.get(), p.slots.count(), int64_t{-1});
    RunArguments arguments{&p, context.input(0).as<const float>(), context.output(0).as<float>(), reinterpret_cast<float*>(context.scratch)};
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    if (p.pointShares > 1) {
        arguments.sharedM = arguments.scratch + p.slots.count() * p.slotFloats();
        parallelize1d(pool, p.tile == 4 ? runPointShare<4> : runPointShare<2>, &arguments, static_cast<size_t>(p.pointShares));
        parallelize1dTile1d(pool, p.tile == 4 ? runOutputTiles<4> : runOutputTiles<2>, &arguments, static_cast<size_t>(p.tiles),
                            static_cast<size_t>(std::max<int64_t>(1, p.tiles / (p.pointShares * kItemsPerThread))));
        return Status::ok();
    }
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), p.tile == 4 ? runItem<4> : runItem<2>, &arguments,
                  static_cast<size_t>(p.items));
    return Status::ok();
}

}  // namespace

int floatWinogradTile(int64_t batch, int64_t outH, int64_t outW, int64_t threads) {
    const int64_t largeTiles = batch * ((outH + 3) / 4) * ((outW + 3) / 4), smallTiles = batch * ((outH + 1) / 2) * ((outW + 1) / 2);
    const bool fewerMultiplies = largeTiles * 36 < smallTiles * 16;  // not where the 4x4 blocks hang far over a thin plane
    return fewerMultiplies && largeTiles >= kLeastLargeTilesPerThread * std::max<int64_t>(threads, 1) ? 4 : 2;
}

WinogradPlan floatWinogradPlan(int64_t batch, int64_t outH, int64_t outW, int64_t inputChannels, int64_t outputChannels, int64_t threads) {
    WinogradPlan plan;
    // Where even F(2x2)'s 16 transformed matrices pass 1 MiB, threads share
    // out the output blocks over each chunk of tiles instead of the tiles,
    // each transforming the chunk's input once: split by tiles, every
    // thread streamed all of the transformed weights for its share.
    // ResNet-50's 14x14 256 -> 256 layers (F(2x2) on two threads, 49
    // tiles) took 0.67-0.74 ms on one thread and 0.60-0.62 on two when the
    // host charged for cross-core reads. The weights are counted at
    // F(2x2)'s 16 matrices whatever the tile: counted at F(4x4)'s 36, 2.4
    // MB layers such as 28x28 128 -> 128 grouped too, and style transfer
    // took 1.05x its time on two threads, U-Net-shaped 1.03x.
    const int64_t blocks = (outputChannels + kPointwiseBlockChannels - 1) / kPointwiseBlockChannels;
    plan.blockGroups = outputBlockGroups(16 * inputChannels * outputChannels * int64_t(sizeof(float)), blocks, threads);
    // Otherwise, where one thread's tiles fit one chunk, threads share out
    // the points over every tile, with one thread's tile: split by tiles,
    // each of two threads streamed every transformed matrix for half of
    // few tiles, or took F(2x2) for 1.78x the multiplies. YOLOv8n-shaped's
    // fourteen 3x3s over 20x20 took 0.90-0.94 ms on two threads that
    // way and 0.77-0.80 sharing points (1.30 on one), its eight over 10x10
    // 0.41-0.42 and 0.37-0.44, the model 1.68-1.74x and 1.72-1.82x faster
    // than on one thread (`thread_work`, three rounds, good minutes); by
    // processes alternating in good minutes, two threads: YOLOv8n 0.926x
    // the time, U-Net 0.986x, ResNet-50 0.983x, DenseNet-121 and
    // SqueezeNet 1.00x. In the slow state its 20x20 3x3s took 1.02x.
    if (threads > 1 && plan.blockGroups == 1) {
        const int tile = floatWinogradTile(batch, outH, outW, 1);
        if (batch * ((outH + tile - 1) / tile) * ((outW + tile - 1) / tile) <= kMostChunkTiles) {
            plan.tile = tile;
            plan.pointShares = std::min<int64_t>(threads, tile + 2);
            return plan;
        }
    }
    plan.tile = floatWinogradTile(batch, outH, outW, threads);
    return plan;
}

const KernelDef* floatWinogradConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = prepareWinograd, .eval = evalWinograd, .fusesInputPadding = true, .fusesActivation = true};
    if (!cpuHasAvx512() || model.opCode(op).builtin != schema::BuiltinOperator_CONV_2D || !hasConvolutionOperands(op) || op.fusedResidual)
        return nullptr;
    const auto* options = op.options->builtin_options_as_Conv2DOptions();
    if (!options || options->stride_h() != 1 || options->stride_w() != 1 || options->dilation_h_factor() != 1 ||
        options->dilation_w_factor() != 1 || !isClampActivation(options->fused_activation_function()))
        return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& filter = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    if (input.type != DataType::Float32 || output.type != DataType::Float32 || !isConstantFloat(filter) || filter.shape.size() != 4 ||
        input.shape.size() != 4 || output.shape.size() != 4 || filter.shape[1] != 3 || filter.shape[2] != 3 ||
        filter.shape[3] != input.shape[3] || filter.shape[3] < 16 || filter.shape[0] < 32)
        return nullptr;
    if (output.shape[1] < 1 || output.shape[2] < 1 || int64_t(output.shape[1]) * output.shape[2] < 100) return nullptr;
    if (op.inputs.size() > 2 && op.inputs[2] >= 0 && !isConstantFloat(subgraph.tensors[static_cast<size_t>(op.inputs[2])])) return nullptr;
    return &kernel;
}

}  // namespace litestudio::cpu
