// Taps are taken in pairs: 32 channels of two taps are widened to int16,
// interleaved (unpacklo/hi), and multiplied with the interleaved weights by
// vpdpwssd, which adds each pair into an int32 lane: 64 multiply-adds per
// two instructions. The input zero point is folded into the bias
// (sum (x - zx) w' = sum x w' - zx sum w'), which stays exact because the
// padding outside the image reads zx itself.
//
// unpacklo/hi work within 128-bit lanes, so accumulator `low` holds
// channels 8L..8L+3 of each lane L and `high` channels 8L+4..8L+7; the
// per-channel constants are packed in that order, and packs_epi32(low,
// high) puts the results back in channel order.
#include "accelerators/cpu/quantized_depthwise_convolution.h"

#include "accelerators/cpu/avx512_intrinsics.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "core/support/cache_line_vector.h"

namespace litestudio::cpu {

namespace {

constexpr int kBlock = 32;      // channels per block: one zmm of int16
constexpr int kMaxTaps = kQuantizedDepthwiseMostTaps;

}  // namespace

// (declared in the header)
struct QuantizedDepthwise {
    bool signedValues = false;
    int64_t batch = 0, inH = 0, inW = 0, outH = 0, outW = 0, channels = 0, blocks = 0;
    int kernelH = 1, kernelW = 1, strideH = 1, strideW = 1, dilationH = 1, dilationW = 1, padTop = 0, padLeft = 0;
    int pairs = 0;                  // ceil(taps / 2)
    CacheLineVector<int16_t> weights;  // [block][pair][low 32 | high 32] interleaved (w - zw)
    std::vector<int32_t> offsets;   // [block][low 16 | high 16]: bias - zx * sum w'
    std::vector<float> multipliers; // [block][low 16 | high 16]
    std::vector<uint8_t> padding;   // blocks * 32 bytes of the input zero point
    float low = 0, high = 0;
    int32_t outputZeroPoint = 0;
    // 8 or 16 channels at a column stride of 1: a block's 32 lanes hold
    // `packedPixels` neighbouring pixels (32 / channels), whose taps are
    // 32 neighbouring bytes of a row. `packed` is the same filter as a
    // 32-channel one (channel j of it is channel j % channels), which
    // pixelsAvx512 runs on such groups inside the image.
    int packedPixels = 1;
    std::shared_ptr<const QuantizedDepthwise> packed;
};

namespace {

struct RunArguments {
    const QuantizedDepthwise* p;
    const uint8_t* input;
    uint8_t* output;
};

// Lane i (0..15) of `low` is channel 8 * (i / 4) + i % 4; of `high`, that plus 4.
int64_t channelOfLane(int64_t lane, bool high) { return 8 * (lane / 4) + lane % 4 + (high ? 4 : 0); }

template <bool Signed>
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline __m512i widen(const uint8_t* at, __mmask32 mask) {
    __m256i bytes = _mm256_maskz_loadu_epi8(mask, at);
    return Signed ? _mm512_cvtepi8_epi16(bytes) : _mm512_cvtepu8_epi16(bytes);
}

// `Pixels` neighbouring output pixels at once: their sums are independent
// chains, which hides vpdpwssd's latency when a layer has one or two blocks.
template <bool Signed, int Pixels>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void pixelsAvx512(const QuantizedDepthwise& p, const uint8_t* const (*taps)[kMaxTaps + 1],
                                                                      uint8_t* output) {
    const __m512 low = _mm512_set1_ps(p.low), high = _mm512_set1_ps(p.high);
    const __m512i zeroPoint = _mm512_set1_epi32(p.outputZeroPoint);
    for (int64_t block = 0; block < p.blocks; ++block) {
        const int64_t channel = block * kBlock;
        const int64_t valid = std::min<int64_t>(kBlock, p.channels - channel);
        const __mmask32 mask = valid == kBlock ? ~__mmask32(0) : static_cast<__mmask32>((1u << valid) - 1u);
        const int16_t* weights = p.weights.data() + block * p.pairs * 2 * kBlock;
        __m512i sumLow[Pixels], sumHigh[Pixels];
        for (int x = 0; x < Pixels; ++x) {
            sumLow[x] = _mm512_loadu_si512(p.offsets.data() + block * kBlock);
            sumHigh[x] = _mm512_loadu_si512(p.offsets.data() + block * kBlock + 16);
        }
        for (int pair = 0; pair < p.pairs; ++pair) {
            const __m512i weightLow = _mm512_loadu_si512(weights + pair * 2 * kBlock);
            const __m512i weightHigh = _mm512_loadu_si512(weights + pair * 2 * kBlock + kBlock);
#pragma GCC unroll 4
            for (int x = 0; x < Pixels; ++x) {
                // An odd last tap pairs with a zero weight, so its second pointer may be any readable row.
                __m512i first = widen<Signed>(taps[x][2 * pair] + channel, mask);
                __m512i second = widen<Signed>(taps[x][2 * pair + 1] + channel, mask);
                sumLow[x] = _mm512_dpwssd_epi32(sumLow[x], _mm512_unpacklo_epi16(first, second), weightLow);
                sumHigh[x] = _mm512_dpwssd_epi32(sumHigh[x], _mm512_unpackhi_epi16(first, second), weightHigh);
            }
        }
        const float* multipliers = p.multipliers.data() + block * kBlock;
        const __m512 multiplierLow = _mm512_loadu_ps(multipliers), multiplierHigh = _mm512_loadu_ps(multipliers + 16);
        for (int x = 0; x < Pixels; ++x) {
            __m512 valueLow = _mm512_mul_ps(_mm512_cvtepi32_ps(sumLow[x]), multiplierLow);
            __m512 valueHigh = _mm512_mul_ps(_mm512_cvtepi32_ps(sumHigh[x]), multiplierHigh);
            valueLow = _mm512_min_ps(_mm512_max_ps(valueLow, low), high);
            valueHigh = _mm512_min_ps(_mm512_max_ps(valueHigh, low), high);
            __m512i quantizedLow = _mm512_add_epi32(_mm512_cvtps_epi32(valueLow), zeroPoint);  // round half to even
            __m512i quantizedHigh = _mm512_add_epi32(_mm512_cvtps_epi32(valueHigh), zeroPoint);
            __m512i words = _mm512_packs_epi32(quantizedLow, quantizedHigh);  // channel order, values in the type's range
            _mm256_mask_storeu_epi8(output + x * p.channels + channel, mask, _mm512_cvtepi16_epi8(words));
        }
    }
}

constexpr int kPixelsTogether = 4;

// The taps of output pixel `ox` (stride 1, dilation 1 across), all inside the row.
void interiorTaps(const QuantizedDepthwise& p, const uint8_t* const* rows, int64_t ox, const uint8_t** taps) {
    int t = 0;
    for (int ky = 0; ky < p.kernelH; ++ky)
        for (int kx = 0; kx < p.kernelW; ++kx, ++t) taps[t] = rows[ky] ? rows[ky] + (ox - p.padLeft + kx) * p.channels : p.padding.data();
    taps[t] = p.padding.data();
}

// 8 or 16 channels (QuantizedDepthwise::packed): groups of neighbouring
// pixels whose taps are all inside the row go through the 32-channel
// filter four groups (or one) at a time; the pixels at the edges one by one.
// DeepLab's 257x257x16 depthwise used half of each vector's lanes, MobileNet
// v1 0.25's 64x64x8 one a quarter.
template <bool Signed>
void packedRowAvx512(const QuantizedDepthwise& p, const uint8_t* const* rows, uint8_t* output) {
    const uint8_t* taps[kPixelsTogether][kMaxTaps + 1];
    const int64_t group = p.packedPixels;
    // A group from `ox` is inside when its first pixel's first tap and its last pixel's last tap are.
    auto inside = [&](int64_t ox) { return ox - p.padLeft >= 0 && ox + group - 1 - p.padLeft + p.kernelW - 1 < p.inW && ox + group <= p.outW; };
    int64_t ox = 0;
    while (ox < p.outW) {
        if (inside(ox) && inside(ox + (kPixelsTogether - 1) * group)) {
            for (int x = 0; x < kPixelsTogether; ++x) interiorTaps(p, rows, ox + x * group, taps[x]);
            pixelsAvx512<Signed, kPixelsTogether>(*p.packed, taps, output + ox * p.channels);
            ox += kPixelsTogether * group;
        } else if (inside(ox)) {
            interiorTaps(p, rows, ox, taps[0]);
            pixelsAvx512<Signed, 1>(*p.packed, taps, output + ox * p.channels);
            ox += group;
        } else {
            int t = 0;
            for (int ky = 0; ky < p.kernelH; ++ky)
                for (int kx = 0; kx < p.kernelW; ++kx, ++t) {
                    const int64_t ix = ox - p.padLeft + kx;
                    taps[0][t] = rows[ky] && ix >= 0 && ix < p.inW ? rows[ky] + ix * p.channels : p.padding.data();
                }
            taps[0][t] = p.padding.data();
            pixelsAvx512<Signed, 1>(p, taps, output + ox * p.channels);
            ++ox;
        }
    }
}

// One output row from the kernelH input rows it reads (null: outside the
// image, the input zero point there).
template <bool Signed>
void rowAvx512(const QuantizedDepthwise& p, const uint8_t* const* rows, uint8_t* output) {
    if (p.packed) return packedRowAvx512<Signed>(p, rows, output);
    const uint8_t* taps[kPixelsTogether][kMaxTaps + 1];
    const int taps2 = p.kernelH * p.kernelW;
    for (int64_t ox0 = 0; ox0 < p.outW; ox0 += kPixelsTogether) {
        const int pixels = static_cast<int>(std::min<int64_t>(kPixelsTogether, p.outW - ox0));
        for (int x = 0; x < pixels; ++x) {
            const int64_t left = (ox0 + x) * p.strideW - p.padLeft;
            const bool columnsInside = left >= 0 && left + int64_t(p.kernelW - 1) * p.dilationW < p.inW;
            int t = 0;
            for (int ky = 0; ky < p.kernelH; ++ky) {
                const uint8_t* row = rows[ky];
                for (int kx = 0; kx < p.kernelW; ++kx, ++t) {
                    const int64_t ix = left + int64_t(kx) * p.dilationW;
                    taps[x][t] = row && (columnsInside || (ix >= 0 && ix < p.inW)) ? row + ix * p.channels : p.padding.data();
                }
            }
            taps[x][taps2] = p.padding.data();
        }
        if (pixels == kPixelsTogether) {
            pixelsAvx512<Signed, kPixelsTogether>(p, taps, output + ox0 * p.channels);
        } else {
            for (int x = 0; x < pixels; ++x) pixelsAvx512<Signed, 1>(p, taps + x, output + (ox0 + x) * p.channels);
        }
    }
}

void depthwiseRow(const QuantizedDepthwise& p, const uint8_t* const* rows, uint8_t* output) {
    if (p.signedValues) rowAvx512<true>(p, rows, output);
    else rowAvx512<false>(p, rows, output);
}

void runRow(void* context, size_t row) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const QuantizedDepthwise& p = *arguments.p;
    const int64_t batch = static_cast<int64_t>(row) / p.outH, oy = static_cast<int64_t>(row) % p.outH;
    const uint8_t* image = arguments.input + batch * p.inH * p.inW * p.channels;
    const uint8_t* rows[kMaxTaps];
    for (int ky = 0; ky < p.kernelH; ++ky) {
        const int64_t iy = oy * p.strideH - p.padTop + int64_t(ky) * p.dilationH;
        rows[ky] = iy >= 0 && iy < p.inH ? image + iy * p.inW * p.channels : nullptr;
    }
    depthwiseRow(p, rows, arguments.output + (batch * p.outH + oy) * p.outW * p.channels);
}

// The weights, offsets and requantization of `p`, whose geometry is set,
// for `filter` [1, kh, kw, channels] with inputs quantized as `input`,
// outputs as `out`, clamped by `activation`.
Status packWeights(QuantizedDepthwise& p, const RuntimeTensor& input, const RuntimeTensor& filter, const int32_t* bias, const RuntimeTensor& out,
                   int activation) {
    p.signedValues = input.type == DataType::Int8;
    const int taps = p.kernelH * p.kernelW;
    p.pairs = (taps + 1) / 2;
    p.blocks = (p.channels + kBlock - 1) / kBlock;
    const int32_t inputZero = input.zeroPoint();
    p.padding.assign(static_cast<size_t>(p.blocks * kBlock), static_cast<uint8_t>(inputZero));

    // w' = w - zw per channel; sums of w' for the zero-point fold.
    const auto& zeroPoints = filter.quantization->zeroPoints;
    auto weight = [&](int t, int64_t c) -> int32_t {
        int64_t index = t * p.channels + c;
        int32_t raw = p.signedValues ? filter.as<int8_t>()[index] : filter.as<uint8_t>()[index];
        int64_t zero = zeroPoints.empty() ? 0 : zeroPoints[std::min<size_t>(static_cast<size_t>(c), zeroPoints.size() - 1)];
        return raw - static_cast<int32_t>(zero);
    };
    reference::Requantizer requantize(input, filter, out, static_cast<schema::ActivationFunctionType>(activation));
    // Lane `lane` of half `half` of block `block` of `into` holds channel channelOf(block * 32 + its place).
    auto pack = [&](QuantizedDepthwise& into, int64_t lanes, auto channelOf) {
        into.weights.assign(static_cast<size_t>(into.blocks * p.pairs * 2 * kBlock), 0);
        into.offsets.assign(static_cast<size_t>(into.blocks * kBlock), 0);
        into.multipliers.assign(static_cast<size_t>(into.blocks * kBlock), 0.0f);
        for (int64_t block = 0; block < into.blocks; ++block)
            for (int half = 0; half < 2; ++half)
                for (int64_t lane = 0; lane < 16; ++lane) {
                    const int64_t place = block * kBlock + channelOfLane(lane, half == 1);
                    if (place >= lanes) continue;
                    const int64_t c = channelOf(place);
                    int64_t sum = 0;
                    for (int t = 0; t < taps; ++t) sum += weight(t, c);
                    for (int pair = 0; pair < p.pairs; ++pair) {
                        int16_t* at = into.weights.data() + ((block * p.pairs + pair) * 2 + half) * kBlock + 2 * lane;
                        at[0] = static_cast<int16_t>(weight(2 * pair, c));
                        at[1] = static_cast<int16_t>(2 * pair + 1 < taps ? weight(2 * pair + 1, c) : 0);
                    }
                    const size_t slot = static_cast<size_t>(block * kBlock + half * 16 + lane);
                    into.offsets[slot] = static_cast<int32_t>((bias ? bias[c] : 0) - int64_t(inputZero) * sum);
                    into.multipliers[slot] = requantize.multiplier(c);
                }
        into.low = requantize.low();
        into.high = requantize.high();
        into.outputZeroPoint = out.zeroPoint();
    };
    pack(p, p.channels, [](int64_t place) { return place; });
    p.packed.reset();
    p.packedPixels = 1;
    if ((p.channels == 8 || p.channels == 16) && p.strideW == 1 && p.dilationW == 1) {
        auto packed = std::make_shared<QuantizedDepthwise>(p);
        packed->channels = kBlock, packed->blocks = 1;
        pack(*packed, kBlock, [&](int64_t place) { return place % p.channels; });
        p.packedPixels = static_cast<int>(kBlock / p.channels);
        p.packed = std::move(packed);
    }
    return Status::ok();
}

Status prepareDepthwise(KernelContext& context) {
    RuntimeTensor padded;
    LS_RETURN_IF_ERROR(prepareWithFoldedPadding(context, *findReferenceKernel(schema::BuiltinOperator_DEPTHWISE_CONV_2D), padded));
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& out = context.output(0);
    if (filter.rank() != 4 || filter.dim(3) != input.dim(3) || out.dim(3) != input.dim(3))
        return context.error("expects filter [1, kh, kw, " + std::to_string(input.dim(3)) + "] (depth multiplier 1)");
    const auto* options = context.op->options->builtin_options_as_DepthwiseConv2DOptions();
    auto packed = std::make_shared<QuantizedDepthwise>();
    QuantizedDepthwise& p = *packed;
    p.batch = input.dim(0), p.inH = input.dim(1), p.inW = input.dim(2), p.channels = input.dim(3);
    p.outH = out.dim(1), p.outW = out.dim(2);
    p.kernelH = filter.dim(1), p.kernelW = filter.dim(2);
    p.strideH = options->stride_h(), p.strideW = options->stride_w();
    p.dilationH = options->dilation_h_factor(), p.dilationW = options->dilation_w_factor();
    p.padTop = paddingBefore(padded.dim(1), p.outH, p.kernelH, p.strideH, p.dilationH) + context.op->fusedPadding[0];
    p.padLeft = paddingBefore(padded.dim(2), p.outW, p.kernelW, p.strideW, p.dilationW) + context.op->fusedPadding[2];
    const int32_t* bias = context.hasInput(2) ? context.input(2).as<int32_t>() : nullptr;
    if (bias && context.input(2).elementCount() != p.channels)
        return context.error("bias has " + std::to_string(context.input(2).elementCount()) + " values, expected " +
                             std::to_string(p.channels));
    const int activation = context.op->fusedActivation >= 0 ? context.op->fusedActivation : options->fused_activation_function();
    LS_RETURN_IF_ERROR(packWeights(p, input, filter, bias, out, activation));
    context.state = packed;
    return Status::ok();
}

Status evalDepthwise(KernelContext& context) {
    const auto& p = *static_cast<const QuantizedDepthwise*>(context.state.get());
    RunArguments arguments{&p, context.input(0).as<uint8_t>(), context.output(0).as<uint8_t>()};
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), runRow, &arguments,
                  static_cast<size_t>(p.batch * p.outH));
    return Status::ok();
}

}  // namespace

Expected<std::shared_ptr<const QuantizedDepthwise>> packQuantizedDepthwise(const RuntimeTensor& input, const RuntimeTensor& filter,
                                                                           const int32_t* bias, const RuntimeTensor& output, int activation,
                                                                           const QuantizedDepthwiseGeometry& geometry) {
    if (filter.rank() != 4 || filter.dim(0) != 1 || filter.dim(3) != input.dim(3) || int64_t(filter.dim(1)) * filter.dim(2) > kMaxTaps)
        return Status::error("expects a depthwise filter [1, kh, kw, " + std::to_string(input.dim(3)) + "] of at most " +
                             std::to_string(kMaxTaps) + " taps, got " + filter.name + " " + shapeText(filter.shape));
    auto packed = std::make_shared<QuantizedDepthwise>();
    QuantizedDepthwise& p = *packed;
    p.batch = 1, p.inH = geometry.inH, p.inW = geometry.inW, p.channels = input.dim(3), p.outH = geometry.outH, p.outW = geometry.outW;
    p.kernelH = filter.dim(1), p.kernelW = filter.dim(2), p.strideH = geometry.strideH, p.strideW = geometry.strideW;
    p.padTop = geometry.padTop, p.padLeft = geometry.padLeft;
    LS_RETURN_IF_ERROR(packWeights(p, input, filter, bias, output, activation));
    return std::shared_ptr<const QuantizedDepthwise>(std::move(packed));
}

void runQuantizedDepthwiseRow(const QuantizedDepthwise& p, const uint8_t* const* rows, uint8_t* output) { depthwiseRow(p, rows, output); }

const KernelDef* quantizedDepthwiseConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = prepareDepthwise, .eval = evalDepthwise, .fusesInputPadding = true, .fusesActivation = true};
    if (!cpuHasAvx512Vnni() || model.opCode(op).builtin != schema::BuiltinOperator_DEPTHWISE_CONV_2D || op.inputs.size() < 2 ||
        op.inputs[0] < 0 || op.inputs[1] < 0 || op.outputs.size() != 1)
        return nullptr;
    const auto* options = op.options->builtin_options_as_DepthwiseConv2DOptions();
    if (!options || options->stride_h() < 1 || options->stride_w() < 1 || options->dilation_h_factor() < 1 ||
        options->dilation_w_factor() < 1)
        return nullptr;
    auto activation = options->fused_activation_function();
    if (activation == schema::ActivationFunctionType_TANH || activation == schema::ActivationFunctionType_SIGN_BIT) return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& filter = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    if ((input.type != DataType::UInt8 && input.type != DataType::Int8) || filter.type != input.type ||
        output.type != input.type || !filter.isConstant() || filter.shape.size() != 4 || input.shape.size() != 4 ||
        output.shape.size() != 4 || filter.shape[0] != 1 || filter.shape[3] != input.shape[3] || output.shape[3] != input.shape[3])
        return nullptr;
    if (int64_t(filter.shape[1]) * filter.shape[2] > kMaxTaps) return nullptr;
    if (input.quantization.scales.empty() || filter.quantization.scales.empty() || output.quantization.scales.empty()) return nullptr;
    if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
        const Tensor& bias = subgraph.tensors[static_cast<size_t>(op.inputs[2])];
        if (!bias.isConstant() || bias.type != DataType::Int32) return nullptr;
    }
    return &kernel;
}

}  // namespace litestudio::cpu
