// Four neighbouring outputs of one row are computed together, all output
// channels at once (up to four vectors of 16). For every tap and input
// channel, the weight vectors are loaded once and each of the four inputs
// is broadcast once: 4 x blocks FMAs for blocks + 4 loads. Taps outside the
// image (SAME or folded padding) read zero.
#include "accelerators/cpu/float_stem_convolution.h"

#include "accelerators/cpu/avx512_intrinsics.h"

#include <pthreadpool.h>

#include <algorithm>
#include <memory>
#include <tuple>
#include <vector>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/fused_epilogue.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "core/support/cache_line_vector.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int kLanes = 16;
constexpr int kPixelsTogether = 4;
constexpr int kMaxInputChannels = 4;
constexpr int kMaxBlocks = 4;
constexpr int kMaxKernel = 7;

struct PackedStem {
    int kernelH = 3, kernelW = 3, strideH = 1, strideW = 1, padTop = 0, padLeft = 0, inputChannels = 3, blocks = 1;
    int64_t batch = 0, inH = 0, inW = 0, outH = 0, outW = 0, outputChannels = 0;
    CacheLineVector<float> weights;  // [ky][kx][input channel][block][16], zeros past the last output channel
    std::vector<float> bias;     // [block][16]
    float low = 0, high = 0;
    Op::Epilogue epilogue = Op::Epilogue::None;  // a fused activation over each finished row, after the clamp
    SlopePattern slopes;                          // a PRELU's (fused_epilogue.h); empty for none
};

struct RunArguments {
    const PackedStem* p;
    const float* input;
    float* output;
};

template <int Channels, int Blocks, int Pixels, bool Inside>
__attribute__((target("avx512f"), always_inline)) inline void outputsAvx512(const PackedStem& p, const float* image, float* outputRow,
                                                                            int64_t oy, int64_t ox0) {
    __m512 sums[Pixels][Blocks];
    for (int b = 0; b < Blocks; ++b) {
        const __m512 bias = _mm512_loadu_ps(p.bias.data() + b * kLanes);
        for (int j = 0; j < Pixels; ++j) sums[j][b] = bias;
    }
    for (int ky = 0; ky < p.kernelH; ++ky) {
        const int64_t iy = oy * p.strideH - p.padTop + ky;
        if (iy < 0 || iy >= p.inH) continue;
        const float* row = image + iy * p.inW * Channels;
        const float* weights = p.weights.data() + ky * p.kernelW * Channels * Blocks * kLanes;
        for (int kx = 0; kx < p.kernelW; ++kx, weights += Channels * Blocks * kLanes) {
            const float* pixels[Pixels];
            bool present[Pixels];
            for (int j = 0; j < Pixels; ++j) {
                const int64_t ix = (ox0 + j) * p.strideW - p.padLeft + kx;
                present[j] = Inside || (ix >= 0 && ix < p.inW);
                pixels[j] = row + ix * Channels;
            }
#pragma GCC unroll 4
            for (int c = 0; c < Channels; ++c) {
                __m512 w[Blocks];
                for (int b = 0; b < Blocks; ++b) w[b] = _mm512_loadu_ps(weights + (c * Blocks + b) * kLanes);
#pragma GCC unroll 8
                for (int j = 0; j < Pixels; ++j) {
                    if (!Inside && !present[j]) continue;
                    const __m512 x = _mm512_set1_ps(pixels[j][c]);
#pragma GCC unroll 4
                    for (int b = 0; b < Blocks; ++b) sums[j][b] = _mm512_fmadd_ps(x, w[b], sums[j][b]);
                }
            }
        }
    }
    const __m512 low = _mm512_set1_ps(p.low), high = _mm512_set1_ps(p.high);
    for (int j = 0; j < Pixels; ++j) {
        float* target = outputRow + (ox0 + j) * p.outputChannels;
        for (int b = 0; b < Blocks; ++b) {
            const int64_t valid = std::min<int64_t>(kLanes, p.outputChannels - b * kLanes);
            const __mmask16 mask = static_cast<__mmask16>((1u << valid) - 1u);
            _mm512_mask_storeu_ps(target + b * kLanes, mask, _mm512_min_ps(_mm512_max_ps(sums[j][b], low), high));
        }
    }
}

template <int Channels, int Blocks>
__attribute__((target("avx512f"))) void rowAvx512(const PackedStem& p, const float* image, float* outputRow, int64_t oy) {
    // One block of outputs: eight pixels share each weight load instead of four.
    constexpr int kTogether = Blocks == 1 ? 2 * kPixelsTogether : kPixelsTogether;
    for (int64_t ox = 0; ox < p.outW; ox += kTogether) {
        const int64_t pixels = std::min<int64_t>(kTogether, p.outW - ox);
        const int64_t left = ox * p.strideW - p.padLeft, right = (ox + pixels - 1) * p.strideW - p.padLeft + p.kernelW - 1;
        if (pixels == kTogether && left >= 0 && right < p.inW) {
            outputsAvx512<Channels, Blocks, kTogether, true>(p, image, outputRow, oy, ox);
        } else if (pixels == kTogether) {
            outputsAvx512<Channels, Blocks, kTogether, false>(p, image, outputRow, oy, ox);
        } else {
            for (int64_t j = 0; j < pixels; ++j) outputsAvx512<Channels, Blocks, 1, false>(p, image, outputRow, oy, ox + j);
        }
    }
}

using RowFunction = void (*)(const PackedStem&, const float*, float*, int64_t);

template <int Channels>
RowFunction rowFunctionFor(int blocks) {
    switch (blocks) {
    case 1: return rowAvx512<Channels, 1>;
    case 2: return rowAvx512<Channels, 2>;
    case 3: return rowAvx512<Channels, 3>;
    default: return rowAvx512<Channels, 4>;
    }
}

RowFunction rowFunction(int channels, int blocks) {
    switch (channels) {
    case 1: return rowFunctionFor<1>(blocks);
    case 2: return rowFunctionFor<2>(blocks);
    case 3: return rowFunctionFor<3>(blocks);
    default: return rowFunctionFor<4>(blocks);
    }
}

void runRow(void* context, size_t row) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const PackedStem& p = *arguments.p;
    const int64_t batch = static_cast<int64_t>(row) / p.outH, oy = static_cast<int64_t>(row) % p.outH;
    float* outputRow = arguments.output + (batch * p.outH + oy) * p.outW * p.outputChannels;
    rowFunction(p.inputChannels, p.blocks)(p, arguments.input + batch * p.inH * p.inW * p.inputChannels, outputRow, oy);
    if (p.epilogue != Op::Epilogue::None) applyEpilogueOverRow(p.epilogue, p.slopes, outputRow, p.outW * p.outputChannels);
}

Status prepareStem(KernelContext& context) {
    RuntimeTensor padded;
    LS_RETURN_IF_ERROR(prepareReferenceConvolution(context, padded));
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& out = context.output(0);
    if (filter.rank() != 4 || filter.dim(3) != input.dim(3) || filter.dim(3) > kMaxInputChannels || filter.dim(0) > kMaxBlocks * kLanes ||
        filter.dim(1) > kMaxKernel || filter.dim(2) > kMaxKernel)
        return context.error("expects a filter [<= 64, <= 7, <= 7, " + std::to_string(input.dim(3)) + "] over <= 4 input channels");
    const auto* options = context.op->options->builtin_options_as_Conv2DOptions();
    auto packed = std::make_shared<PackedStem>();
    PackedStem& p = *packed;
    p.kernelH = filter.dim(1), p.kernelW = filter.dim(2), p.inputChannels = filter.dim(3);
    p.strideH = options->stride_h(), p.strideW = options->stride_w();
    p.batch = input.dim(0), p.inH = input.dim(1), p.inW = input.dim(2);
    p.outH = out.dim(1), p.outW = out.dim(2), p.outputChannels = out.dim(3);
    p.blocks = static_cast<int>((p.outputChannels + kLanes - 1) / kLanes);
    p.padTop = paddingBefore(padded.dim(1), p.outH, p.kernelH, p.strideH) + context.op->fusedPadding[0];
    p.padLeft = paddingBefore(padded.dim(2), p.outW, p.kernelW, p.strideW) + context.op->fusedPadding[2];
    std::vector<float> filterValues(static_cast<size_t>(filter.elementCount()));
    reference::toFloats(filter, filterValues.data());
    const int taps = p.kernelH * p.kernelW;
    p.weights.assign(static_cast<size_t>(taps * p.inputChannels * p.blocks * kLanes), 0.0f);
    for (int64_t o = 0; o < p.outputChannels; ++o)
        for (int t = 0; t < taps; ++t)
            for (int c = 0; c < p.inputChannels; ++c)
                p.weights[static_cast<size_t>(((t * p.inputChannels + c) * p.blocks + o / kLanes) * kLanes + o % kLanes)] =
                    filterValues[static_cast<size_t>((o * taps + t) * p.inputChannels + c)];
    p.bias.assign(static_cast<size_t>(p.blocks * kLanes), 0.0f);
    LS_RETURN_IF_ERROR(readFloatBias(context, p.outputChannels, p.bias.data()));
    std::vector<float> slopes;
    LS_RETURN_IF_ERROR(readPreluSlopes(context, p.outputChannels, p.bias.size(), slopes));
    std::tie(p.low, p.high) = clampRange(context, options->fused_activation_function());
    p.epilogue = context.op->fusedEpilogue;
    p.slopes = slopePatternOf(slopes, p.outputChannels);
    context.state = packed;
    return Status::ok();
}

Status evalStem(KernelContext& context) {
    const auto& p = *static_cast<const PackedStem*>(context.state.get());
    RunArguments arguments{&p, context.input(0).as<const float>(), context.output(0).as<float>()};
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), runRow, &arguments,
                  static_cast<size_t>(p.batch * p.outH));
    return Status::ok();
}

}  // namespace

const KernelDef* floatStemConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = prepareStem, .eval = evalStem, .fusesInputPadding = true, .fusesActivation = true};
    if (!cpuHasAvx512() || model.opCode(op).builtin != schema::BuiltinOperator_CONV_2D || !hasConvolutionOperands(op) || op.fusedResidual)
        return nullptr;
    const auto* options = op.options->builtin_options_as_Conv2DOptions();
    if (!options || options->stride_h() < 1 || options->stride_h() > 2 || options->stride_w() < 1 || options->stride_w() > 2 ||
        options->dilation_h_factor() != 1 || options->dilation_w_factor() != 1)
        return nullptr;
    if (!isClampActivation(options->fused_activation_function())) return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& filter = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    if (input.type != DataType::Float32 || output.type != DataType::Float32 || !isConstantFloat(filter) || filter.shape.size() != 4 ||
        input.shape.size() != 4 || filter.shape[3] != input.shape[3] || filter.shape[3] < 1 || filter.shape[3] > kMaxInputChannels ||
        filter.shape[0] < 1 || filter.shape[0] > kMaxBlocks * kLanes || filter.shape[1] > kMaxKernel || filter.shape[2] > kMaxKernel ||
        filter.shape[1] * filter.shape[2] < 4)  // a 1x1 over 3 channels is XNNPACK's GEMM at its best
        return nullptr;
    if (op.inputs.size() > 2 && op.inputs[2] >= 0 && !isConstantFloat(subgraph.tensors[static_cast<size_t>(op.inputs[2])])) return nullptr;
    return &kernel;
}

}  // namespace litestudio::cpu
