// The 1x1 convolution runs on the dense 1x1 GEMM (float_pointwise_convolution:
// 64 output channels x 6 pixels of the row buffer a step), the residual
// row added as it writes; at most 8 outputs take two pixels a vector here.
#include "accelerators/cpu/float_separable_block.h"

#include "accelerators/cpu/avx512_intrinsics.h"

#include <pthreadpool.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <tuple>
#include <vector>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/expansion_ring.h"
#include "accelerators/cpu/float_depthwise_convolution.h"
#include "accelerators/cpu/float_dilated_depthwise_convolution.h"
#include "accelerators/cpu/float_pointwise_convolution.h"
#include "accelerators/cpu/fused_epilogue.h"
#include "accelerators/cpu/sparse_pointwise_convolution.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int kLanes = 16;
constexpr int64_t kMaxRowFloats = 16 * 1024;     // the row buffer, on the stack: 64 KiB
constexpr int64_t kMaxChannels = 1024;
// Past 256 channels, only on rows of 24 pixels or more: a row's 1x1 reads
// all its weights, from L2 once they pass L1. DeepLab's 33x33 blocks of 288
// and 480 channels ran 0.993x its time fused, pose landmark heavy's of 336
// and 672 on rows of 32 and 16 0.999x, hand landmark's of 288 to 672 on
// rows of 14 and 7 1.015-1.025x (6 processes each, runs alternated).
constexpr int64_t kMaxNarrowRowChannels = 256;
constexpr int64_t kLeastWideRowPixels = 24;

struct SeparableBlock {
    DepthwisePlan depthwise;
    std::vector<DepthwisePhase> phases;  // a depthwise dilated over columns: its column phases (depthwise holds the geometry)
    // Op::fusedExpansion: the depthwise's input rows made from input 0 by
    // this 1x1, a ring a band of output rows (one per thread).
    bool expanded = false;
    PointwiseWeights expansion;
    RowBands bands;
    size_t ringFloats = 0;
    PointwiseWeights pointwise;  // the 1x1 after the depthwise, clamped by its activation
    float sumLow = 0, sumHigh = 0;  // the residual ADD's clamp
    int64_t residualChannels = 0;   // its tensor's, up to the output's: zeros past them (a channel PAD folded in)
    // At most 8 outputs from at most 64 channels: two pixels a vector.
    bool paired = false;
    // At most 8 channels: a pair's floats are one vector as they lie.
    bool spread = false;
    std::vector<float> pairWeights;  // [input channel][16]: output o at lanes 2o and 2o + 1 (spread: o and 8 + o)
    std::vector<float> pairBias;     // [16], likewise
    std::vector<float> pairSlopes;   // [16] as the results' lanes (o and 8 + o), a fused PRELU's; empty for none
};

struct RunArguments {
    const SeparableBlock* block;
    const float* input;
    const float* residual;  // shaped as the output, or with fewer channels (residualChannels), or null
    float* output;
    float* rings = nullptr;  // bands x ringFloats, 64-byte aligned, when expanded
};

// ---- At most 8 outputs: two pixels a vector ----
// With 8 or fewer outputs the GEMM fills half of each vector (full-
// range face detection's 96x96 32 -> 8 blocks, pose landmark's 256x256
// 8 -> 8 ones). Pixels p and p + 1 share one instead, output o at lanes 2o
// (p) and 2o + 1 (p + 1): the pair's channels are interleaved,
// (x_p[c], x_p+1[c]), so that one 64-bit broadcast load feeds a whole
// vector, and each weight sits in both lanes of its output. With at most
// 8 channels the pair's 2 x channels floats are one vector as they lie in
// the row, and a permute spreads channel c over its pixel's half (lanes
// 0-7 and 8-15): no interleaving through memory, and the sums come out as
// the output's rows lie (pose landmark's 256x256 8 -> 8 blocks: the 1x1
// with its residual 0.18 -> 0.13-0.14 ms in a micro-benchmark).
constexpr int kPairsTogether = 8;
constexpr int kSpreadPairsTogether = 4;
constexpr int64_t kMostSpreadChannels = 8;
constexpr int64_t kMostPairedChannels = 64;

// Pixels 2q and 2q + 1 of `in` (rows of `channels`), q < pairs, into
// `interleaved` ([q][channel][2]).
__attribute__((target("avx512f,avx512vl"))) void interleavePairs(const float* in, int64_t channels, int pairs, float* interleaved) {
    const __m512i low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i high = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    for (int q = 0; q < pairs; ++q) {
        const float* first = in + 2 * q * channels;
        float* out = interleaved + 2 * q * channels;
        for (int64_t c = 0; c < channels; c += kLanes) {
            const int64_t width = std::min<int64_t>(kLanes, channels - c);
            const __mmask16 mask = firstLanes(width);
            const __m512 a = _mm512_maskz_loadu_ps(mask, first + c), b = _mm512_maskz_loadu_ps(mask, first + channels + c);
            _mm512_mask_storeu_ps(out + 2 * c, firstLanes(2 * width), _mm512_permutex2var_ps(a, low, b));
            if (width > 8) _mm512_mask_storeu_ps(out + 2 * c + kLanes, firstLanes(2 * (width - 8)), _mm512_permutex2var_ps(a, high, b));
        }
    }
}

// Pairs sums of pixel pairs (lanes 0-7: pixel 2j's outputs, 8-15: pixel
// 2j + 1's), clamped, with the residual's rows added, into `out` (rows of
// outputChannels).
template <int Pairs>
__attribute__((target("avx512f,avx512vl"), always_inline)) inline void finishPairs(const SeparableBlock& s, const __m512* sums,
                                                                                   const float* residual, float* out) {
    const int64_t outputChannels = s.pointwise.outputChannels;
    const __m512 pointwiseLow = _mm512_set1_ps(s.pointwise.low), pointwiseHigh = _mm512_set1_ps(s.pointwise.high);
    const __m512 sumLow = _mm512_set1_ps(s.sumLow), sumHigh = _mm512_set1_ps(s.sumHigh);
    const auto mask = static_cast<__mmask8>((1u << outputChannels) - 1u);
    const int64_t addedChannels = s.residualChannels;
    const auto addedMask = static_cast<__mmask8>((1u << std::min(addedChannels, outputChannels)) - 1u);
#pragma GCC unroll 8
    for (int j = 0; j < Pairs; ++j) {
        __m512 result = _mm512_min_ps(_mm512_max_ps(sums[j], pointwiseLow), pointwiseHigh);
        float* first = out + 2 * j * outputChannels;
        if (residual) {
            const float* added = residual + 2 * j * addedChannels;
            // Rows of 8 lie as the vector does: one load.
            if (addedChannels == 8 && outputChannels == 8) {
                result = _mm512_add_ps(result, _mm512_loadu_ps(added));
            } else {
                const __m256d low = _mm256_castps_pd(_mm256_maskz_loadu_ps(addedMask, added));
                const __m256d high = _mm256_castps_pd(_mm256_maskz_loadu_ps(addedMask, added + addedChannels));
                result = _mm512_add_ps(result, _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(low), high, 1)));
            }
            result = _mm512_min_ps(_mm512_max_ps(result, sumLow), sumHigh);
        }
        if (s.pointwise.epilogue != Op::Epilogue::None) result = applyEpilogue(s.pointwise.epilogue, result, s.pairSlopes.data(), 0);
        if (outputChannels == 8) {
            _mm512_storeu_ps(first, result);
            continue;
        }
        _mm256_mask_storeu_ps(first, mask, _mm512_castps512_ps256(result));
        _mm256_mask_storeu_ps(first + outputChannels, mask, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(result), 1)));
    }
}

// Pairs pixel pairs (interleaved) through the 1x1 into `out`, as finishPairs.
template <int Pairs>
__attribute__((target("avx512f,avx512vl"), always_inline)) inline void pointwisePairs(const SeparableBlock& s, const float* interleaved,
                                                                                      const float* residual, float* out) {
    const int64_t inputChannels = s.pointwise.inputChannels;
    __m512 sums[Pairs];
    const __m512 bias = _mm512_loadu_ps(s.pairBias.data());
#pragma GCC unroll 8
    for (int j = 0; j < Pairs; ++j) sums[j] = bias;
    for (int64_t c = 0; c < inputChannels; ++c) {
        const __m512 w = _mm512_loadu_ps(s.pairWeights.data() + c * kLanes);
#pragma GCC unroll 8
        for (int j = 0; j < Pairs; ++j) {
            double pair;
            std::memcpy(&pair, interleaved + (j * inputChannels + c) * 2, sizeof pair);
            sums[j] = _mm512_fmadd_ps(_mm512_castpd_ps(_mm512_set1_pd(pair)), w, sums[j]);
        }
    }
    // Output o at lanes 2o and 2o + 1 -> o and 8 + o.
    const __m512i split = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
#pragma GCC unroll 8
    for (int j = 0; j < Pairs; ++j) sums[j] = _mm512_permutexvar_ps(split, sums[j]);
    finishPairs<Pairs>(s, sums, residual, out);
}

// Pairs pixel pairs of `in` (rows of at most 8 channels, as they lie)
// through the 1x1 into `out`, as finishPairs.
template <int Pairs>
__attribute__((target("avx512f,avx512vl"), always_inline)) inline void pointwiseSpreadPairs(const SeparableBlock& s, const float* in,
                                                                                            const float* residual, float* out) {
    const int64_t inputChannels = s.pointwise.inputChannels;
    const __mmask16 pairLanes = firstLanes(2 * inputChannels);
    __m512 pairs[Pairs], sums[Pairs];
    const __m512 bias = _mm512_loadu_ps(s.pairBias.data());
#pragma GCC unroll 8
    for (int j = 0; j < Pairs; ++j) {
        pairs[j] = _mm512_maskz_loadu_ps(pairLanes, in + 2 * j * inputChannels);
        sums[j] = bias;
    }
    for (int c = 0; c < inputChannels; ++c) {
        const auto second = static_cast<int>(inputChannels) + c;
        const __m512i spread = _mm512_setr_epi32(c, c, c, c, c, c, c, c, second, second, second, second, second, second, second, second);
        const __m512 w = _mm512_loadu_ps(s.pairWeights.data() + c * kLanes);
#pragma GCC unroll 8
        for (int j = 0; j < Pairs; ++j) sums[j] = _mm512_fmadd_ps(_mm512_permutexvar_ps(spread, pairs[j]), w, sums[j]);
    }
    finishPairs<Pairs>(s, sums, residual, out);
}

// A row of `width` pixels of the depthwise's result through the 1x1 in pairs (an odd last pixel alone).
__attribute__((target("avx512f,avx512vl"))) void pointwiseRowInPairs(const SeparableBlock& s, const float* in, const float* residual,
                                                                    float* out, int64_t width) {
    const int64_t inputChannels = s.pointwise.inputChannels, outputChannels = s.pointwise.outputChannels;
    int64_t x = 0;
    if (s.spread) {
        for (; x + 2 * kSpreadPairsTogether <= width; x += 2 * kSpreadPairsTogether)
            pointwiseSpreadPairs<kSpreadPairsTogether>(s, in + x * inputChannels, residual ? residual + x * s.residualChannels : nullptr,
                                                       out + x * outputChannels);
        for (; x + 2 <= width; x += 2)
            pointwiseSpreadPairs<1>(s, in + x * inputChannels, residual ? residual + x * s.residualChannels : nullptr, out + x * outputChannels);
    }
    alignas(64) float interleaved[kPairsTogether * 2 * kMostPairedChannels];
    for (; x + 2 * kPairsTogether <= width; x += 2 * kPairsTogether) {
        interleavePairs(in + x * inputChannels, inputChannels, kPairsTogether, interleaved);
        pointwisePairs<kPairsTogether>(s, interleaved, residual ? residual + x * s.residualChannels : nullptr, out + x * outputChannels);
    }
    for (; x + 2 <= width; x += 2) {
        interleavePairs(in + x * inputChannels, inputChannels, 1, interleaved);
        pointwisePairs<1>(s, interleaved, residual ? residual + x * s.residualChannels : nullptr, out + x * outputChannels);
    }
    if (x < width)
        multiplyPixels(s.pointwise, in + x * inputChannels, 1, out + x * outputChannels,
                       AddedRows{residual, s.residualChannels, s.sumLow, s.sumHigh}.atPixel(x));
}

// Output row `row` (over every image) from the depthwise's input rows.
void blockRow(const RunArguments& arguments, const InputRows& rows, int64_t row) {
    const SeparableBlock& s = *arguments.block;
    const DepthwisePlan& d = s.depthwise;
    alignas(64) float buffer[kMaxRowFloats];
    if (s.phases.empty()) depthwiseRow(d, rows, buffer);
    else phasedDepthwiseRow(s.phases, d.channels, rows, buffer);
    const int64_t outputChannels = s.pointwise.outputChannels;
    float* out = arguments.output + row * d.outW * outputChannels;
    const float* residual = arguments.residual ? arguments.residual + row * d.outW * s.residualChannels : nullptr;
    if (s.paired) return pointwiseRowInPairs(s, buffer, residual, out, d.outW);
    multiplyPixels(s.pointwise, buffer, d.outW, out, AddedRows{residual, s.residualChannels, s.sumLow, s.sumHigh});
}

void runRow(void* context, size_t row) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const DepthwisePlan& d = arguments.block->depthwise;
    const int64_t batch = static_cast<int64_t>(row) / d.outH, oy = static_cast<int64_t>(row) % d.outH;
    blockRow(arguments, inputRowsOf(d, arguments.input + batch * d.inH * d.inW * d.channels, oy), static_cast<int64_t>(row));
}

// Expanded: output rows [band * rowsPerBand, ...) in order, with the band's own ring.
void runBand(void* context, size_t band) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const SeparableBlock& s = *arguments.block;
    runBandRows(s.expansion, s.depthwise, arguments.input, static_cast<int64_t>(band), s.bands.rowsPerBand, arguments.rings + band * s.ringFloats,
                [&](const InputRows& rows, int64_t row) { blockRow(arguments, rows, row); });
}

Status prepareBlock(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    if (!context.hasInput(3)) return context.error("has no 1x1 filter (input 3)");
    const RuntimeTensor& pointwise = context.input(3);
    if (input.rank() != 4 || input.type != DataType::Float32)
        return context.error("expects a float32 [batch, height, width, channels] input, got " + input.name);
    const bool expanded = context.op->fusedExpansion;
    if (expanded && !context.hasInput(6)) return context.error("has no expanding 1x1 filter (input 6)");
    const int64_t channels = expanded ? context.input(6).dim(0) : input.dim(3);
    if (pointwise.rank() != 4 || pointwise.dim(1) != 1 || pointwise.dim(2) != 1 || pointwise.dim(3) != channels)
        return context.error("expects a 1x1 filter [out, 1, 1, " + std::to_string(channels) + "], got " + pointwise.name);
    const int64_t outputChannels = pointwise.dim(0);
    const Op& op = *context.op;
    const auto* options = op.options->builtin_options_as_DepthwiseConv2DOptions();
    if (!options || options->stride_h() != 1 || options->stride_w() != 1) return context.error("expects a stride-1 depthwise convolution");
    const int dilation = options->dilation_h_factor();
    if (dilation < 1 || dilation > kLargestDilation || options->dilation_w_factor() != dilation)
        return context.error("expects one dilation of 1 to " + std::to_string(kLargestDilation) + " over rows and columns, got " +
                             std::to_string(options->dilation_h_factor()) + " and " + std::to_string(options->dilation_w_factor()));

    auto block = std::make_shared<SeparableBlock>();
    SeparableBlock& s = *block;
    if (expanded) {
        s.expanded = true;
        LS_RETURN_IF_ERROR(packPointwiseWeights(context, context.input(6), 7, s.expansion));
        if (s.expansion.inputChannels != input.dim(3))
            return context.error("expects an expanding 1x1 filter over " + std::to_string(input.dim(3)) + " channels, got " +
                                 context.input(6).name + " " + shapeText(context.input(6).shape));
        std::tie(s.expansion.low, s.expansion.high) = activationRange(op.expansionActivation);
    }
    DepthwisePlan& d = s.depthwise;
    d.batch = input.dim(0), d.inH = input.dim(1), d.inW = input.dim(2), d.channels = channels;
    LS_RETURN_IF_ERROR(packDepthwise(context, d));  // checks the filter, sets the kernel size
    // The plane's size comes from the filter, not from the declared shapes,
    // which a model may get wrong (the runtime works shapes out afresh). A
    // dilated filter pads as an undilated one of its span does.
    PaddedPlane plane;
    LS_RETURN_IF_ERROR(paddedPlane(context, d.inH, d.inW, (d.kernelSize - 1) * dilation + 1, 1, 1, options->padding() == schema::Padding_SAME,
                                   plane));
    d.outH = plane.outH, d.outW = plane.outW, d.padTop = plane.padTop, d.padLeft = plane.padLeft;
    d.dilationH = dilation;
    const std::vector<int32_t> outShape{input.dim(0), static_cast<int32_t>(d.outH), static_cast<int32_t>(d.outW),
                                        static_cast<int32_t>(outputChannels)};
    if (op.fusedResidual && (!context.hasInput(5) || !addsAsResidual(context.input(5).type, context.input(5).shape, outShape)))
        return context.error("adds a tensor of another shape than the block's result " + shapeText(outShape));
    s.residualChannels = op.fusedResidual ? context.input(5).dim(3) : 0;
    if (d.outW * channels > kMaxRowFloats) return context.error("output rows exceed the row buffer");
    std::tie(d.low, d.high) = clampRange(context, options->fused_activation_function());
    if (dilation > 1) s.phases = columnPhases(d, dilation);

    LS_RETURN_IF_ERROR(packPointwiseWeights(context, pointwise, 4, s.pointwise));
    LS_RETURN_IF_ERROR(packEpilogue(context, s.pointwise));
    std::tie(s.pointwise.low, s.pointwise.high) = activationRange(op.pointwiseActivation);
    std::tie(s.sumLow, s.sumHigh) = activationRange(op.residualActivation);
    s.paired = outputChannels <= 8 && channels <= kMostPairedChannels;
    s.spread = s.paired && channels <= kMostSpreadChannels;
    if (s.paired) {
        // Output o's weight for channel c is at [c][o] of the GEMM's first
        // block; in both of the lanes that hold o's sums of a pair.
        s.pairWeights.assign(static_cast<size_t>(channels * kLanes), 0.0f);
        s.pairBias.assign(kLanes, 0.0f);
        for (int64_t o = 0; o < outputChannels; ++o) {
            const std::array<int64_t, 2> lanes = s.spread ? std::array<int64_t, 2>{o, 8 + o} : std::array<int64_t, 2>{2 * o, 2 * o + 1};
            for (int64_t c = 0; c < channels; ++c)
                for (int64_t lane : lanes)
                    s.pairWeights[static_cast<size_t>(c * kLanes + lane)] = s.pointwise.weights[static_cast<size_t>(c * kPointwiseBlockChannels + o)];
            for (int64_t lane : lanes) s.pairBias[static_cast<size_t>(lane)] = s.pointwise.bias[static_cast<size_t>(o)];
        }
        if (!s.pointwise.slopes.empty()) {
            s.pairSlopes.assign(kLanes, 0.0f);
            for (int64_t o = 0; o < outputChannels; ++o)
                s.pairSlopes[static_cast<size_t>(o)] = s.pairSlopes[static_cast<size_t>(8 + o)] = s.pointwise.slopes[static_cast<size_t>(o)];
        }
    }

    context.output(0).shape = outShape;
    context.scratchBytes = 0;
    if (s.expanded) {
        if (d.inW * channels > kMaxRowFloats) return context.error("input rows exceed the row buffer");
        s.ringFloats = ExpansionRing::floatsFor(d);
        LS_RETURN_IF_ERROR(splitIntoBands(context, d.batch * d.outH, s.ringFloats, s.bands));
    }
    context.state = block;
    return Status::ok();
}

Status evalBlock(KernelContext& context) {
    const auto& s = *static_cast<const SeparableBlock*>(context.state.get());
    RunArguments arguments{&s, context.input(0).as<const float>(), context.op->fusedResidual ? context.input(5).as<const float>() : nullptr,
                           context.output(0).as<float>()};
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    if (s.expanded) {
        arguments.rings = bandScratch(context);
        parallelize1d(pool, runBand, &arguments, static_cast<size_t>(s.bands.bands));
        return Status::ok();
    }
    parallelize1d(pool, runRow, &arguments, static_cast<size_t>(s.depthwise.batch * s.depthwise.outH));
    return Status::ok();
}

}  // namespace

const KernelDef* floatSeparableBlockKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = prepareBlock, .eval = evalBlock};
    // A fused PRELU's slopes come last.
    const size_t inputs = (op.fusedExpansion ? 8u : op.fusedResidual ? 6u : 5u) + (op.fusedEpilogue == Op::Epilogue::Prelu ? 1u : 0u);
    if (!cpuHasAvx512() || !op.fusedSeparableBlock || op.expansionEpilogue != Op::Epilogue::None ||
        model.opCode(op).builtin != schema::BuiltinOperator_DEPTHWISE_CONV_2D || op.inputs.size() != inputs || op.inputs[0] < 0 || op.outputs.size() != 1 || op.outputs[0] < 0 ||
        (op.fusedResidual && op.inputs[5] < 0) || (op.fusedEpilogue == Op::Epilogue::Prelu && op.inputs.back() < 0))
        return nullptr;
    const auto* options = op.options ? op.options->builtin_options_as_DepthwiseConv2DOptions() : nullptr;
    if (!options || options->stride_h() != 1 || options->stride_w() != 1 || options->dilation_h_factor() < 1 ||
        options->dilation_h_factor() > kLargestDilation || options->dilation_w_factor() != options->dilation_h_factor() ||
        options->depth_multiplier() > 1 || !isClampActivation(options->fused_activation_function()) ||
        !isClampActivation(std::max(op.pointwiseActivation, 0)) || !isClampActivation(std::max(op.residualActivation, 0)))
        return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    if (input.type != DataType::Float32 || input.shape.size() != 4 || op.inputs[1] < 0 || op.inputs[3] < 0 ||
        !isFloatConstantOrAbsent(subgraph, op.inputs[1]) || !isFloatConstantOrAbsent(subgraph, op.inputs[3]) ||
        !isFloatConstantOrAbsent(subgraph, op.inputs[2]) || !isFloatConstantOrAbsent(subgraph, op.inputs[4]))
        return nullptr;
    const std::vector<int32_t>& depthwise = subgraph.tensors[static_cast<size_t>(op.inputs[1])].shape;
    const std::vector<int32_t>& pointwise = subgraph.tensors[static_cast<size_t>(op.inputs[3])].shape;
    const int64_t channels = op.fusedExpansion ? expansionChannels(subgraph, op, 6) : input.shape[3];
    if (channels < 0) return nullptr;
    if (depthwise.size() != 4 || depthwise[0] != 1 || depthwise[1] != depthwise[2] || depthwise[3] != channels ||
        !depthwiseRowsRun(depthwise[1], 1) || pointwise.size() != 4 || pointwise[3] != channels)
        return nullptr;
    // The fusion was measured to pay up to 256 channels (palm detection's
    // eight blocks beyond 128: 0.061-0.198 -> 0.053-0.177 ms each, pose
    // detection's 56x56 144 -> 24 one 0.49 -> 0.43 ms) and past them on
    // long rows (kLeastWideRowPixels).
    const bool wide = channels > kMaxNarrowRowChannels || pointwise[0] > kMaxNarrowRowChannels;
    if (channels > kMaxChannels || pointwise[0] > kMaxChannels || input.shape[2] * channels > kMaxRowFloats ||
        (wide && input.shape[2] < kLeastWideRowPixels))
        return nullptr;
    // Pruned 1x1 weights run faster nonzero by nonzero than densely here
    // (pose detection's 28x28x96 blocks: 0.09 ms unfused, 0.11 fused).
    if (sparsePointwisePays(subgraph.tensors[static_cast<size_t>(op.inputs[3])])) return nullptr;
    return &kernel;
}

}  // namespace litestudio::cpu
