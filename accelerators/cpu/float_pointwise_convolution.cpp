#include "accelerators/cpu/float_pointwise_convolution.h"

#include "accelerators/cpu/avx512_intrinsics.h"

#include <pthreadpool.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <tuple>
#include <vector>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/fused_epilogue.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int kLanes = 16;
constexpr int64_t kBlockChannels = kPointwiseBlockChannels;
constexpr int kRows = 6;                              // pixels a step broadcasts
constexpr int64_t kTileRows = 16 * kRows;             // pixels of one task
constexpr int64_t kTasksPerThread = 3;
constexpr size_t kWeightsInL1 = 32 * 1024;
constexpr int64_t kWeightsInL1Range = 40 * 1024;  // a block's weights past this may be taken in ranges
constexpr int64_t kRangeChannels = 128;           // at most: 32 KiB of weights
constexpr int64_t kLargeWeightBytes = 1 << 20;    // weights that threads share out by output blocks (outputBlockGroups)

// Whether a block's weights past kWeightsInL1Range are taken in ranges of
// input channels: where a range's 32 KiB fit in two thirds of L1. On the
// Intel Xeon (48 KiB) ranges took pose landmark heavy 30.97 -> 29.95 ms.
// On Zen 4's 32 KiB the L2 streams the weights faster than ranges use
// them: ranges that fit (80 channels) ran that model 1.022x the time of
// ranges of 128, and none 0.968x (8 alternating rounds each).
bool takesRanges() {
    static const bool ranges = level1DataCacheBytes() * 2 / 3 >= kRangeChannels * kBlockChannels * int64_t(sizeof(float));
    return ranges;
}

struct PackedPointwise : PointwiseWeights {
    int64_t pixels = 0, tiles = 0, tileRows = kTileRows;
    bool blocksOuter = false;  // tasks in block order (weights past L1) or pixel order
    bool depthwiseReads = false;  // a DEPTHWISE_CONV_2D reads the output (see evalPointwise)
    float residualLow = 0, residualHigh = 0;  // a fused residual ADD's clamp
    int64_t residualChannels = 0;             // its tensor's, up to the output's (zeros past them)
    // A fused broadcast part (Op::fusedBroadcastConcat): its filter columns,
    // [channel][blocks * 64], and the bias before them. Each run writes
    // `bias` (inherited) afresh from the part's values: runs of one compiled
    // model never overlap, as its tensors are shared.
    CacheLineVector<float> broadcastWeights, filterBias;
    int64_t broadcastChannels = 0;
    // A fused batch norm before the 1x1 (Op::fusedInputAffine): each input
    // channel times its scale plus its shift, clamped to [inputLow,
    // inputHigh], padded to whole vectors; empty for none.
    CacheLineVector<float> inputScales, inputShifts;
    float inputLow = 0, inputHigh = 0;
    // Or a squeeze-and-excitation's scales, read at each run from input 4:
    // [N or 1, 1, 1, C], the row of image pixel / planePixels (row 0 for a
    // shared one: scaleImageStride 0).
    bool runtimeScales = false;
    int64_t planePixels = 1, scaleImageStride = 0;
};

bool takesInputAffine(const PackedPointwise& p) { return p.runtimeScales || !p.inputScales.empty(); }

struct RunArguments {
    const PackedPointwise* p;
    const float* input;
    const float* residual;  // a fused residual ADD's tensor, shaped as the output, or null
    float* output;
    int64_t shares = 1;  // pixel shares, one a thread, blocks outer within each (runShareTask)
    uint64_t run = 0;    // this eval's number, where the input goes through a fused affine (affineTile)
    const float* scales = nullptr;  // PackedPointwise::runtimeScales: input 4's values
};

// A thread's input tile through the fused affine, kept for the tile's
// other blocks: which run and tile it holds.
struct AffineTile {
    std::vector<float> rows;
    uint64_t run = 0;
    int64_t tile = -1;
};

// The numbers evals of affine ops take, so that a thread's kept tile is
// never taken for another eval's.
std::atomic<uint64_t> affineRuns{0};

// Input channels [begin, end) of a step; the first starts from the bias,
// the others from the sums the output holds, and the last clamps.
struct ChannelRange {
    int64_t begin, end;
    bool first, last;
};

// Rows pixels from `input` (rows of K floats) times the Vectors x 16 output
// channels of `weights` ([K][64]), plus bias, clamped (and with `added`'s
// rows added and clamped again, then through PRELU where `slopes` is not
// null), into `output` (rows of N floats); the last vector writes
// `lastLanes` channels. Without UBSan's checks: in its unrolled instances
// they took clang 69 s to build this file with the sanitizers (41 s
// without them); ASan still checks every load and store.
template <int Rows, int Vectors, bool HalfLast = false>
__attribute__((target("avx512f,avx512vl,fma"), no_sanitize("undefined"))) void multiplyRows(const PointwiseWeights& p, const float* input, const float* weights,
                                                             const float* bias, const float* slopes, float* output, __mmask16 lastLanes,
                                                             ChannelRange range, AddedRows added) {
    // The last vector's FMAs on 256 bits where it holds at most 8 channels
    // (24, 40, 72, 120, 200 outputs): Zen 4 runs two of those in the time
    // of one 512-bit FMA. MobileNetV3-shaped 0.988x, EfficientNet-B0-shaped
    // 0.994x, pose landmark full and Objectron cup 0.988x (runs alternated
    // in one process); on cores with 512-bit FMA units it costs the same.
    constexpr int kFull = HalfLast ? Vectors - 1 : Vectors;
    // Every loop over rows and vectors unrolled: an array indexed by a loop
    // variable would live on the stack, each FMA a load and a store.
    __m512 sums[Rows][Vectors];
    if (range.first) {
#pragma GCC unroll 4
        for (int v = 0; v < Vectors; ++v) {
            const __m512 b = _mm512_loadu_ps(bias + v * kLanes);
#pragma GCC unroll 8
            for (int r = 0; r < Rows; ++r) sums[r][v] = b;
        }
    } else {
#pragma GCC unroll 8
        for (int r = 0; r < Rows; ++r)
#pragma GCC unroll 4
            for (int v = 0; v < Vectors; ++v) {
                const __mmask16 lanes = v == Vectors - 1 ? lastLanes : __mmask16(0xFFFF);
                sums[r][v] = _mm512_maskz_loadu_ps(lanes, output + r * p.outputChannels + v * kLanes);
            }
    }
    const int64_t k = p.inputChannels;
    for (int64_t c = range.begin; c < range.end; ++c) {
        __m512 w[Vectors];
#pragma GCC unroll 4
        for (int v = 0; v < kFull; ++v) w[v] = _mm512_loadu_ps(weights + c * kBlockChannels + v * kLanes);
        __m256 half = _mm256_setzero_ps();
        if constexpr (HalfLast) half = _mm256_loadu_ps(weights + c * kBlockChannels + kFull * kLanes);
#pragma GCC unroll 8
        for (int r = 0; r < Rows; ++r) {
            const __m512 x = _mm512_set1_ps(input[r * k + c]);
#pragma GCC unroll 4
            for (int v = 0; v < kFull; ++v) sums[r][v] = _mm512_fmadd_ps(x, w[v], sums[r][v]);
            if constexpr (HalfLast)
                sums[r][kFull] = _mm512_castps256_ps512(_mm256_fmadd_ps(_mm512_castps512_ps256(x), half, _mm512_castps512_ps256(sums[r][kFull])));
        }
    }
    const __m512 low = _mm512_set1_ps(p.low), high = _mm512_set1_ps(p.high);
    const __m512 addedLow = _mm512_set1_ps(added.low), addedHigh = _mm512_set1_ps(added.high);
    const Op::Epilogue epilogue = range.last ? p.epilogue : Op::Epilogue::None;  // once, not per value
    __mmask16 addedLanes[Vectors];  // channels past the added rows' add zero
#pragma GCC unroll 4
    for (int v = 0; v < Vectors; ++v) {
        const int64_t held = added.channels - added.firstChannel - v * kLanes;
        addedLanes[v] = held <= 0 ? __mmask16(0) : firstLanes(held);
    }
#pragma GCC unroll 8
    for (int r = 0; r < Rows; ++r)
#pragma GCC unroll 4
        for (int v = 0; v < Vectors; ++v) {
            const __mmask16 lanes = v == Vectors - 1 ? lastLanes : __mmask16(0xFFFF);
            const int64_t at = r * p.outputChannels + v * kLanes;
            // low and high first: a NaN comes through.
            __m512 value = range.last ? _mm512_min_ps(high, _mm512_max_ps(low, sums[r][v])) : sums[r][v];
            if (range.last && added.rows) {
                const float* addend = added.rows + r * added.channels + added.firstChannel + v * kLanes;
                value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(lanes & addedLanes[v], addend));
                value = _mm512_min_ps(addedHigh, _mm512_max_ps(addedLow, value));
            }
            if (epilogue != Op::Epilogue::None) value = applyEpilogue(epilogue, value, slopes, v * kLanes);
            _mm512_mask_storeu_ps(output + at, lanes, value);
        }
}

template <int Vectors, bool HalfLast>
void multiplyTile(const PointwiseWeights& p, const float* input, const float* weights, const float* bias, const float* slopes, float* output,
                  int64_t rows, __mmask16 lastLanes, AddedRows added) {
    // Weights past L1 are taken a range of input channels at a time over
    // every row of the tile (where L1 holds a range: takesRanges), sums kept
    // in the output between ranges: each weight then comes from L1 for
    // every step of six pixels, not from L2.
    const int64_t k = p.inputChannels;
    const int64_t ranges =
        takesRanges() && k * kBlockChannels * int64_t(sizeof(float)) > kWeightsInL1Range ? (k + kRangeChannels - 1) / kRangeChannels : 1;
    const int64_t perRange = (k + ranges - 1) / ranges;
    for (int64_t begin = 0; begin < k; begin += perRange) {
        const ChannelRange range{begin, std::min(k, begin + perRange), begin == 0, begin + perRange >= k};
        // Steps of about equal size, not whole steps and a short tail: a step
        // of 3 pixels does half a step's FMAs for the same weight loads.
        // DeepLab's separable blocks run their 1x1 on rows of 33 pixels
        // (6, 6, 6, 5, 5, 5 rather than 6 x 5 + 3): it took 0.966x its time
        // (6 processes of alternated runs; pose detection, MobileNetV3- and
        // EfficientNet-shaped 0.99-1.01x). Fewer vectors leave room for
        // more pixels a step: 8 x 1-3 vectors, 8-24 sums.
        constexpr int kMostRows = Vectors < 4 ? 8 : kRows;
        const int64_t steps = (rows + kMostRows - 1) / kMostRows;
        for (int64_t step = 0, r = 0; step < steps; ++step) {
            const int64_t n = rows / steps + (step < rows % steps ? 1 : 0);
            const float* in = input + r * k;
            float* out = output + r * p.outputChannels;
            const AddedRows at = added.atPixel(r);
            switch (n) {
            case 8:
                if constexpr (kMostRows >= 8) multiplyRows<8, Vectors, HalfLast>(p, in, weights, bias, slopes, out, lastLanes, range, at);
                break;
            case 7:
                if constexpr (kMostRows >= 7) multiplyRows<7, Vectors, HalfLast>(p, in, weights, bias, slopes, out, lastLanes, range, at);
                break;
            case 6: multiplyRows<6, Vectors, HalfLast>(p, in, weights, bias, slopes, out, lastLanes, range, at); break;
            case 5: multiplyRows<5, Vectors, HalfLast>(p, in, weights, bias, slopes, out, lastLanes, range, at); break;
            case 4: multiplyRows<4, Vectors, HalfLast>(p, in, weights, bias, slopes, out, lastLanes, range, at); break;
            case 3: multiplyRows<3, Vectors, HalfLast>(p, in, weights, bias, slopes, out, lastLanes, range, at); break;
            case 2: multiplyRows<2, Vectors, HalfLast>(p, in, weights, bias, slopes, out, lastLanes, range, at); break;
            default: multiplyRows<1, Vectors, HalfLast>(p, in, weights, bias, slopes, out, lastLanes, range, at); break;
            }
            r += n;
        }
    }
}

// multiplyTile for the `vectors` a block's channels take.
template <bool HalfLast>
void multiplyVectors(int vectors, const PointwiseWeights& p, const float* input, const float* weights, const float* bias, const float* slopes,
                     float* output, int64_t rows, __mmask16 lastLanes, AddedRows added) {
    switch (vectors) {
    case 1: return multiplyTile<1, HalfLast>(p, input, weights, bias, slopes, output, rows, lastLanes, added);
    case 2: return multiplyTile<2, HalfLast>(p, input, weights, bias, slopes, output, rows, lastLanes, added);
    case 3: return multiplyTile<3, HalfLast>(p, input, weights, bias, slopes, output, rows, lastLanes, added);
    default: return multiplyTile<4, HalfLast>(p, input, weights, bias, slopes, output, rows, lastLanes, added);
    }
}

// One block of 64 output channels over `rows` pixels.
void multiplyBlock(const PointwiseWeights& p, int64_t block, const float* input, int64_t rows, float* output, AddedRows added = {}) {
    const int64_t channel = block * kBlockChannels, channels = std::min(kBlockChannels, p.outputChannels - channel);
    const int vectors = static_cast<int>((channels + kLanes - 1) / kLanes);
    const __mmask16 lastLanes = firstLanes(channels - (vectors - 1) * kLanes);
    const float* weights = p.weights.data() + block * p.inputChannels * kBlockChannels;
    const float* bias = p.bias.data() + channel;
    const float* slopes = p.slopes.empty() ? nullptr : p.slopes.data() + channel;
    output += channel;
    added = added.atChannel(channel);
    if (channels - (vectors - 1) * kLanes <= kLanes / 2)
        return multiplyVectors<true>(vectors, p, input, weights, bias, slopes, output, rows, lastLanes, added);
    multiplyVectors<false>(vectors, p, input, weights, bias, slopes, output, rows, lastLanes, added);
}

// Rows [first, first + rows) of the input through the fused affine, in the
// calling thread's tile: made by the thread's first block of the tile,
// read by the others.
__attribute__((target("avx512f"))) const float* affineTile(const RunArguments& arguments, int64_t tile, int64_t first, int64_t rows) {
    const PackedPointwise& p = *arguments.p;
    thread_local AffineTile kept;
    if (kept.run == arguments.run && kept.tile == tile) return kept.rows.data();
    const int64_t k = p.inputChannels;
    if (kept.rows.size() < static_cast<size_t>(p.tileRows * k)) kept.rows.resize(static_cast<size_t>(p.tileRows * k));
    const __m512 low = _mm512_set1_ps(p.inputLow), high = _mm512_set1_ps(p.inputHigh);
    for (int64_t r = 0; r < rows; ++r) {
        const float* in = arguments.input + (first + r) * k;
        float* out = kept.rows.data() + r * k;
        if (p.runtimeScales) {
            // x * s alone, as the MUL it replaces: the same bits.
            const float* scales = arguments.scales + (first + r) / p.planePixels * p.scaleImageStride;
            for (int64_t c = 0; c < k; c += kLanes) {
                const __mmask16 lanes = firstLanes(k - c);
                _mm512_mask_storeu_ps(out + c, lanes, _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes, in + c), _mm512_maskz_loadu_ps(lanes, scales + c)));
            }
            continue;
        }
        for (int64_t c = 0; c < k; c += kLanes) {
            const __mmask16 lanes = firstLanes(k - c);
            const __m512 value = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(lanes, in + c), _mm512_loadu_ps(p.inputScales.data() + c),
                                                 _mm512_loadu_ps(p.inputShifts.data() + c));
            // low and high first: a NaN comes through.
            _mm512_mask_storeu_ps(out + c, lanes, _mm512_min_ps(high, _mm512_max_ps(low, value)));
        }
    }
    kept.run = arguments.run, kept.tile = tile;
    return kept.rows.data();
}

// One block of 64 output channels over one tile of pixels.
void runTask(void* context, size_t block, size_t tile) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const PackedPointwise& p = *arguments.p;
    const int64_t first = static_cast<int64_t>(tile) * p.tileRows, rows = std::min(p.tileRows, p.pixels - first);
    const float* input = takesInputAffine(p) ? affineTile(arguments, static_cast<int64_t>(tile), first, rows)
                                             : arguments.input + first * p.inputChannels;
    multiplyBlock(p, static_cast<int64_t>(block), input, rows, arguments.output + first * p.outputChannels,
                  AddedRows{arguments.residual, p.residualChannels, p.residualLow, p.residualHigh}.atPixel(first));
}

void runTaskByTile(void* context, size_t tile, size_t block) { runTask(context, block, tile); }

// Task `task` of pixel share `share` (its tiles [first, end)): block
// task / count over tile first + task % count. Shares but the last have
// the most tiles; the tasks past a short share's are empty.
void runShareTask(void* context, size_t share, size_t task) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const PackedPointwise& p = *arguments.p;
    const int64_t first = static_cast<int64_t>(share) * p.tiles / arguments.shares;
    const int64_t count = static_cast<int64_t>(share + 1) * p.tiles / arguments.shares - first;
    if (count <= 0 || static_cast<int64_t>(task) >= p.blocks * count) return;
    runTask(context, static_cast<size_t>(static_cast<int64_t>(task) / count), static_cast<size_t>(first + static_cast<int64_t>(task) % count));
}

// Whether an op of the subgraph reads `op`'s output 0 as a DEPTHWISE_CONV_2D.
bool depthwiseReadsOutput(const KernelContext& context) {
    if (!context.model || context.op->outputs.empty()) return false;
    const Subgraph& subgraph = context.model->subgraphs[static_cast<size_t>(context.subgraph)];
    const int output = context.op->outputs[0];
    for (const Op& reader : subgraph.ops) {
        if (reader.fused || reader.folded || context.model->opCode(reader).builtin != schema::BuiltinOperator_DEPTHWISE_CONV_2D) continue;
        if (std::find(reader.inputs.begin(), reader.inputs.end(), output) != reader.inputs.end()) return true;
    }
    return false;
}

// The output's shape under a fused CONCATENATION (Op::fusedBroadcastConcat),
// which the reference convolution cannot work out from the feature map
// alone, and the broadcast part's channel count.
Status prepareBroadcastShapes(KernelContext& context, PackedPointwise& p) {
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& part = context.input(3);
    if (input.rank() != 4 || input.dim(0) != 1 || part.rank() != 4 || part.dim(0) != 1 || part.dim(1) != 1 || part.dim(2) != 1 ||
        filter.rank() != 4)
        return context.error("expects a feature map [1, h, w, a] and a map [1, 1, 1, b] under a filter [out, 1, 1, a + b], got " +
                             shapeText(input.shape) + ", " + shapeText(part.shape) + " and " + shapeText(filter.shape));
    context.output(0).shape = {1, input.dim(1), input.dim(2), filter.dim(0)};
    p.broadcastChannels = part.dim(3);
    return Status::ok();
}

// The broadcast part's filter columns, [channel][blocks * 64], and the
// bias they are added to.
void packBroadcastPart(const KernelContext& context, PackedPointwise& p) {
    const RuntimeTensor& filter = context.input(1);
    std::vector<float> dense(static_cast<size_t>(filter.elementCount()));
    reference::toFloats(filter, dense.data());
    const int64_t padded = p.blocks * kBlockChannels, firstPart = context.op->broadcastChannelsFirst ? 0 : p.inputChannels;
    p.broadcastWeights.assign(static_cast<size_t>(p.broadcastChannels * padded), 0.0f);
    for (int64_t c = 0; c < p.broadcastChannels; ++c)
        for (int64_t o = 0; o < p.outputChannels; ++o)
            p.broadcastWeights[static_cast<size_t>(c * padded + o)] = dense[static_cast<size_t>(o * filter.dim(3) + firstPart + c)];
    p.filterBias = p.bias;
}

// bias = the filter's bias + the broadcast part's columns times its values.
__attribute__((target("avx512f"))) void writeBroadcastBias(PackedPointwise& p, const float* part) {
    const int64_t padded = p.blocks * kBlockChannels;
    std::copy(p.filterBias.begin(), p.filterBias.end(), p.bias.begin());
    for (int64_t c = 0; c < p.broadcastChannels; ++c) {
        const __m512 value = _mm512_set1_ps(part[c]);
        const float* column = p.broadcastWeights.data() + c * padded;
        for (int64_t o = 0; o < padded; o += kLanes)
            _mm512_storeu_ps(p.bias.data() + o, _mm512_fmadd_ps(_mm512_loadu_ps(column + o), value, _mm512_loadu_ps(p.bias.data() + o)));
    }
}

// A fused batch norm's scales and shifts (inputs 4 and 5), one per input
// channel, and the clamp after them; or, without shifts, the shape of a
// squeeze-and-excitation's scales, read at each run.
Status readInputAffine(const KernelContext& context, PackedPointwise& p) {
    const int64_t channels = p.inputChannels, padded = (channels + kLanes - 1) / kLanes * kLanes;
    if (context.inputs.size() == 6 && context.inputs[4] && !context.inputs[5]) {
        const RuntimeTensor& scales = *context.inputs[4];
        const RuntimeTensor& input = context.input(0);
        if (scales.rank() != 4 || scales.dim(1) != 1 || scales.dim(2) != 1 || scales.dim(3) != channels ||
            (scales.dim(0) != input.dim(0) && scales.dim(0) != 1))
            return context.error("scales " + scales.name + " " + shapeText(scales.shape) + " are not one per image and channel of " +
                                 input.name + " " + shapeText(input.shape));
        p.runtimeScales = true;
        p.planePixels = std::max<int64_t>(1, int64_t{input.dim(1)} * input.dim(2));
        p.scaleImageStride = scales.dim(0) == 1 ? 0 : channels;
        return Status::ok();
    }
    if (context.inputs.size() != 6 || !context.inputs[4] || !context.inputs[5])
        return context.error("a fused batch norm needs its scales and shifts as inputs 4 and 5");
    for (const RuntimeTensor* perChannel : {context.inputs[4], context.inputs[5]})
        if (perChannel->elementCount() != channels || perChannel->rank() < 1 || perChannel->dim(perChannel->rank() - 1) != channels)
            return context.error("batch norm values " + perChannel->name + " " + shapeText(perChannel->shape) + " are not one per input channel of " +
                                 std::to_string(channels));
    p.inputScales.assign(static_cast<size_t>(padded), 0.0f);
    p.inputShifts.assign(static_cast<size_t>(padded), 0.0f);
    reference::toFloats(*context.inputs[4], p.inputScales.data());
    reference::toFloats(*context.inputs[5], p.inputShifts.data());
    if (!isClampActivation(context.op->inputAffineActivation)) return context.error("cannot apply the batch norm's activation");
    std::tie(p.inputLow, p.inputHigh) = activationRange(context.op->inputAffineActivation);
    return Status::ok();
}

Status preparePointwise(KernelContext& context) {
    auto packed = std::make_shared<PackedPointwise>();
    PackedPointwise& p = *packed;
    if (context.op->fusedBroadcastConcat) {
        LS_RETURN_IF_ERROR(prepareBroadcastShapes(context, p));
    } else {
        LS_RETURN_IF_ERROR(prepareReferenceConvolution(context));
        context.scratchBytes = 0;  // the reference convolution's own scratch is not used
    }
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& output = context.output(0);
    if (input.rank() != 4 || filter.rank() != 4 || filter.dim(1) != 1 || filter.dim(2) != 1 ||
        filter.dim(3) != input.dim(3) + p.broadcastChannels || output.rank() != 4 || output.dim(1) != input.dim(1) ||
        output.dim(2) != input.dim(2))
        return context.error("expects a 1x1 stride-1 filter [out, 1, 1, " + std::to_string(input.rank() == 4 ? input.dim(3) : 0) +
                             "] over a 4-D input");
    // The feature map's channels; a broadcast part's, first or last, go to the bias.
    const int64_t firstMapChannel = context.op->broadcastChannelsFirst ? p.broadcastChannels : 0;
    LS_RETURN_IF_ERROR(packPointwiseWeights(context, filter, 2, p, firstMapChannel, input.dim(3)));
    if (context.op->fusedBroadcastConcat) packBroadcastPart(context, p);
    LS_RETURN_IF_ERROR(packEpilogue(context, p));
    p.pixels = int64_t(input.dim(0)) * input.dim(1) * input.dim(2);
    // Tiles of about equal size in whole steps of six pixels, not 96s and a
    // short last one (14x14: 66, 66, 64 rather than 96, 96, 4), so that
    // threads get even shares; measured with the equal steps above.
    // An empty plane (a batch or side of 0 at run time) has no tiles.
    p.tiles = (p.pixels + kTileRows - 1) / kTileRows;
    if (p.tiles > 0) {
        p.tileRows = ((p.pixels + p.tiles - 1) / p.tiles + kRows - 1) / kRows * kRows;
        p.tiles = (p.pixels + p.tileRows - 1) / p.tileRows;
    }
    // Few blocks over one small plane leave a thread idle: pose landmark
    // full's 8x8 864 -> 48 layer was one task and ran slower on two threads
    // than on one. Smaller tiles (whole steps of six pixels) until every
    // thread has three tasks.
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    const int64_t threads = pool ? static_cast<int64_t>(pthreadpool_get_threads_count(pool)) : 1;
    if (threads > 1 && p.tiles > 0 && p.blocks * p.tiles < kTasksPerThread * threads) {
        const int64_t tiles = (kTasksPerThread * threads + p.blocks - 1) / p.blocks;
        p.tileRows = std::max<int64_t>(kRows, ((p.pixels + tiles - 1) / tiles + kRows - 1) / kRows * kRows);
        p.tiles = (p.pixels + p.tileRows - 1) / p.tileRows;
    }
    if (context.op->fusedInputAffine) LS_RETURN_IF_ERROR(readInputAffine(context, p));
    p.blocksOuter = p.weights.size() * sizeof(float) > kWeightsInL1;
    p.depthwiseReads = depthwiseReadsOutput(context);
    const auto* options = context.op->options->builtin_options_as_Conv2DOptions();
    std::tie(p.low, p.high) = clampRange(context, options->fused_activation_function());
    if (context.op->fusedResidual) {
        if (context.inputs.size() < 4 || !context.inputs[3] || !addsAsResidual(context.inputs[3]->type, context.inputs[3]->shape, output.shape))
            return context.error("adds a tensor of another shape than its result " + shapeText(output.shape) + " (input 3)");
        std::tie(p.residualLow, p.residualHigh) = activationRange(context.op->residualActivation);
        p.residualChannels = context.inputs[3]->dim(3);
    }
    context.state = packed;
    return Status::ok();
}

Status evalPointwise(KernelContext& context) {
    if (context.op->fusedBroadcastConcat)
        writeBroadcastBias(*static_cast<PackedPointwise*>(context.state.get()), context.input(3).as<const float>());
    const auto& p = *static_cast<const PackedPointwise*>(context.state.get());
    RunArguments arguments{&p, context.input(0).as<const float>(), context.op->fusedResidual ? context.input(3).as<const float>() : nullptr,
                           context.output(0).as<float>()};
    // Weights past L1: block by block, a thread's next task reusing the
    // block from L2. Otherwise tile by tile: the input tile stays in L1
    // while every block reads it, and the output is written in order.
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    const int64_t threads = pool ? static_cast<int64_t>(pthreadpool_get_threads_count(pool)) : 1;
    if (takesInputAffine(p)) {
        // Tile by tile, so that a thread puts each tile's input through the
        // affine once for all its blocks.
        arguments.run = affineRuns.fetch_add(1, std::memory_order_relaxed) + 1;
        if (p.runtimeScales) arguments.scales = context.input(4).as<const float>();
        parallelize2d(pool, runTaskByTile, &arguments, static_cast<size_t>(p.tiles), static_cast<size_t>(p.blocks));
    } else if (p.blocksOuter && threads > 1 && !p.depthwiseReads && p.tiles >= threads) {
        // Block order within each thread's share of the pixels: a thread
        // reads the rows it wrote in the op before (a pixel split there),
        // not every pixel, half of them from the other core's cache. On two
        // threads (per-op harness, both ways in one process, 40 runs):
        // DenseNet-121's 1x1s over 64-1024 joined channels 0.85x the
        // model's time, ResNet-50 0.95x, YOLOv8n 0.95x, 16 other models
        // 0.97-1.01x. Not before a depthwise, which splits by channel
        // blocks where it can: hand landmark lite then took 1.02x.
        arguments.shares = threads;
        const int64_t mostTiles = (p.tiles + threads - 1) / threads;
        parallelize2d(pool, runShareTask, &arguments, static_cast<size_t>(threads), static_cast<size_t>(p.blocks * mostTiles));
    } else if (p.blocksOuter)
        parallelize2d(pool, runTask, &arguments, static_cast<size_t>(p.blocks), static_cast<size_t>(p.tiles));
    else
        parallelize2d(pool, runTaskByTile, &arguments, static_cast<size_t>(p.tiles), static_cast<size_t>(p.blocks));
    return Status::ok();
}

}  // namespace

Status packPointwiseWeights(const KernelContext& context, const RuntimeTensor& filter, size_t biasInput, PointwiseWeights& p,
                            int64_t firstInput, int64_t inputs) {
    if (filter.rank() != 4 || filter.dim(1) != 1 || filter.dim(2) != 1)
        return context.error("expects a 1x1 filter [out, 1, 1, in], got " + filter.name + " " + shapeText(filter.shape));
    const int64_t filterInputs = filter.dim(3);
    if (inputs < 0) inputs = filterInputs - firstInput;
    if (firstInput < 0 || inputs < 0 || firstInput + inputs > filterInputs)
        return context.error("expects input channels [" + std::to_string(firstInput) + ", " + std::to_string(firstInput + inputs) + ") of " +
                             filter.name + " " + shapeText(filter.shape));
    p.inputChannels = inputs;
    p.outputChannels = filter.dim(0);
    p.blocks = (p.outputChannels + kBlockChannels - 1) / kBlockChannels;
    std::vector<float> dense(static_cast<size_t>(filter.elementCount()));
    reference::toFloats(filter, dense.data());
    p.weights.assign(static_cast<size_t>(p.blocks * p.inputChannels * kBlockChannels), 0.0f);
    for (int64_t o = 0; o < p.outputChannels; ++o)
        for (int64_t c = 0; c < p.inputChannels; ++c)
            p.weights[static_cast<size_t>(((o / kBlockChannels) * p.inputChannels + c) * kBlockChannels + o % kBlockChannels)] =
                dense[static_cast<size_t>(o * filterInputs + firstInput + c)];
    p.bias.assign(static_cast<size_t>(p.blocks * kBlockChannels), 0.0f);
    return readFloatBias(context, p.outputChannels, p.bias.data(), biasInput);
}

Status packEpilogue(const KernelContext& context, PointwiseWeights& p) {
    p.epilogue = context.op->fusedEpilogue;
    return readPreluSlopes(context, p.outputChannels, static_cast<size_t>(p.blocks * kBlockChannels), p.slopes);
}

void multiplyPixels(const PointwiseWeights& weights, const float* input, int64_t pixels, float* output, AddedRows added) {
    for (int64_t block = 0; block < weights.blocks; ++block) multiplyBlock(weights, block, input, pixels, output, added);
}

int64_t outputBlockGroups(int64_t weightBytes, int64_t blocks, int64_t threads) {
    return threads > 1 && weightBytes > kLargeWeightBytes && blocks >= 2 * threads ? threads : 1;
}

void multiplyPixelBlocks(const PointwiseWeights& weights, int64_t firstBlock, int64_t endBlock, const float* input, int64_t pixels, float* output) {
    for (int64_t block = std::max<int64_t>(firstBlock, 0); block < std::min(endBlock, weights.blocks); ++block)
        multiplyBlock(weights, block, input, pixels, output);
}

const KernelDef* floatPointwiseConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = preparePointwise,
                                  .eval = evalPointwise,
                                  .fusesInputPadding = false,
                                  .fusesActivation = true,
                                  .fusesResidual = true,
                                  .fusesBroadcastConcat = true,
                                  .fusesInputAffine = true};
    if (!cpuHasAvx512() || !isFloatPointwiseConvolution(model, subgraph, op)) return nullptr;
    // Planes of 7x7 and up. Below that the whole weights stream for a few
    // pixels, and XNNPACK's GEMM keeps them (against this kernel: untried
    // between 2 and 48 pixels, even on one). 7x7 planes went to XNNPACK
    // under an older bound of 64 pixels; here, with their swish or residual
    // ADD fused, EfficientNet-B0-shaped runs in 0.988x the time on 1 thread
    // and 0.966x on 2, ResNet-50-shaped 0.992x and 0.985x, pose landmark
    // full 0.995x, MobileNetV3-shaped and pose detection 0.998x (processes
    // alternating both choices).
    const std::vector<int32_t>& shape = subgraph.tensors[static_cast<size_t>(op.inputs[0])].shape;
    return int64_t(shape[0]) * shape[1] * shape[2] >= 49 ? &kernel : nullptr;
}

}  // namespace litestudio::cpu
