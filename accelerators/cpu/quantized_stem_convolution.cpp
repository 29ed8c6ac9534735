// Arithmetic. vpdpbusd multiplies unsigned activation bytes by signed weight
// bytes. int8 activations are stored shifted (a + 128) in the padded rows;
// the weights are stored as w - zw where that fits a signed byte (int8
// weights, whose zero point is 0, and most uint8 filters), so that
//   sum (a - za)(w - zw) = sum a' (w - zw) - za' sum (w - zw)   (a', za' as stored)
// and the second term is a constant of the channel. Coral's uint8 stems
// spread past a signed byte (MobileNetV2's -121..133 around its zero
// point), so those are stored as w - 128, as the general VNNI kernel does:
//   sum (a - za)(w - zw) = sum a (w - 128) + (128 - zw) sum a - za sum w + K za zw
// and each pixel's sum of activations comes from one more vpdpbusd a group,
// against weights of 1 on the filter row's bytes and 0 on the bytes read
// past it. Taps in the padding read the zero point and add nothing.
#include "accelerators/cpu/quantized_stem_convolution.h"

#include "accelerators/cpu/avx512_intrinsics.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/vnni_pointwise_convolution.h"
#include "accelerators/cpu/vnni_requantization.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/support/cache_line_vector.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int kLanes = 16;
constexpr int kMostImageChannels = 4;
constexpr int kMostRowBytes = 28;      // a filter row's taps: 7 groups of 4 bytes
constexpr int kMostKernelRows = 16;
constexpr int kPixelsTogether = 4;     // output pixels a micro-tile
constexpr int kBlocksTogether = 4;     // channel blocks of 16 a micro-tile
constexpr int64_t kRowSlackBytes = 64; // past a padded row: the last group reads up to 3 bytes beyond its taps
constexpr int64_t kRowTasksPerThread = 8;

struct QuantizedStem {
    int64_t batch = 0, inH = 0, inW = 0, channels = 0, outH = 0, outW = 0, outputChannels = 0, blocks = 0;
    int kernelH = 0, kernelW = 0, strideH = 1, strideW = 1, padTop = 0, padLeft = 0;
    int64_t rowBytes = 0;   // kernelW x channels: one filter row's taps
    int64_t rowGroups = 0;  // groups of 4 bytes covering them
    int64_t groups = 0;     // kernelH x rowGroups
    int64_t columns = 0;    // padded input columns the output reads
    int64_t bufferBytes = 0;
    uint8_t padValue = 0;   // the input zero point as stored
    bool shifted = false;   // int8 activations stored as a + 128
    bool activationSums = false;
    int32_t sumFactor = 0;  // 128 - zw, times each pixel's sum of activations
    CacheLineVector<int8_t> weights;  // [block][group][16 lanes][4 bytes]
    CacheLineVector<int8_t> ones;     // [group][16 lanes][4 bytes]: 1 on a filter row's bytes; empty without activationSums
    VnniRequantization requantization;
};

struct RunArguments {
    const QuantizedStem* stem;
    const uint8_t* input;
    uint8_t* output;
};

// Input row `iy` of image `batch`, columns from -padLeft, into `row` as stored:
// the zero point outside the image, int8 values shifted.
__attribute__((target("avx512f,avx512bw"))) void paddedRow(const QuantizedStem& s, const uint8_t* input, int64_t batch, int64_t iy,
                                                           uint8_t* row) {
    if (iy < 0 || iy >= s.inH) {
        std::memset(row, s.padValue, static_cast<size_t>(s.bufferBytes));
        return;
    }
    const int64_t left = std::min<int64_t>(s.padLeft, s.columns) * s.channels;
    const int64_t inside = std::clamp<int64_t>(s.columns - s.padLeft, 0, s.inW) * s.channels;
    std::memset(row, s.padValue, static_cast<size_t>(left));
    const uint8_t* from = input + (batch * s.inH + iy) * s.inW * s.channels;
    uint8_t* to = row + left;
    const __m512i shift = _mm512_set1_epi8(s.shifted ? static_cast<char>(0x80) : 0);
    for (int64_t i = 0; i < inside; i += 64) {
        const __mmask64 mask = inside - i >= 64 ? ~__mmask64(0) : (__mmask64(1) << (inside - i)) - 1;
        _mm512_mask_storeu_epi8(to + i, mask, _mm512_xor_si512(_mm512_maskz_loadu_epi8(mask, from + i), shift));
    }
    std::memset(to + inside, s.padValue, static_cast<size_t>(s.bufferBytes - left - inside));
}

// Output pixels [ox, ox + Pixels) of one row, channel blocks [block, block + Blocks).
template <int Pixels, int Blocks, bool Sums>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni"))) void stemTile(const QuantizedStem& s, const uint8_t* const* rows, int64_t ox,
                                                                             int64_t block, uint8_t* out) {
    __m512i accumulators[Pixels][Blocks], sums[Pixels];
#pragma GCC unroll 4
    for (int p = 0; p < Pixels; ++p) {
        sums[p] = _mm512_setzero_si512();
#pragma GCC unroll 4
        for (int b = 0; b < Blocks; ++b) accumulators[p][b] = _mm512_setzero_si512();
    }
    const int64_t pixelBytes = s.strideW * s.channels;
    const int8_t* weights = s.weights.data() + block * s.groups * 64;
    for (int ky = 0; ky < s.kernelH; ++ky) {
        const uint8_t* first = rows[ky] + ox * pixelBytes;
        for (int64_t g = 0; g < s.rowGroups; ++g) {
            const int64_t group = ky * s.rowGroups + g;
            __m512i w[Blocks];
#pragma GCC unroll 4
            for (int b = 0; b < Blocks; ++b) w[b] = _mm512_load_si512(weights + (b * s.groups + group) * 64);
            const __m512i one = Sums ? _mm512_load_si512(s.ones.data() + group * 64) : _mm512_setzero_si512();
#pragma GCC unroll 4
            for (int p = 0; p < Pixels; ++p) {
                int32_t bytes;
                std::memcpy(&bytes, first + p * pixelBytes + 4 * g, sizeof bytes);
                const __m512i a = _mm512_set1_epi32(bytes);
#pragma GCC unroll 4
                for (int b = 0; b < Blocks; ++b) accumulators[p][b] = _mm512_dpbusd_epi32(accumulators[p][b], a, w[b]);
                if constexpr (Sums) sums[p] = _mm512_dpbusd_epi32(sums[p], a, one);
            }
        }
    }
    for (int p = 0; p < Pixels; ++p) {
        const __m512i term = Sums ? _mm512_mullo_epi32(sums[p], _mm512_set1_epi32(s.sumFactor)) : _mm512_setzero_si512();
        for (int b = 0; b < Blocks; ++b) {
            const int64_t channel = (block + b) * kLanes;
            storeRequantized(s.requantization, _mm512_add_epi32(accumulators[p][b], term), channel,
                             std::min<int64_t>(kLanes, s.outputChannels - channel), out + (ox + p) * s.outputChannels + channel);
        }
    }
}

template <int Pixels, bool Sums>
void stemPixels(const QuantizedStem& s, const uint8_t* const* rows, int64_t ox, uint8_t* out) {
    for (int64_t block = 0; block < s.blocks; block += kBlocksTogether) {
        switch (std::min<int64_t>(kBlocksTogether, s.blocks - block)) {
        case 4: stemTile<Pixels, 4, Sums>(s, rows, ox, block, out); break;
        case 3: stemTile<Pixels, 3, Sums>(s, rows, ox, block, out); break;
        case 2: stemTile<Pixels, 2, Sums>(s, rows, ox, block, out); break;
        default: stemTile<Pixels, 1, Sums>(s, rows, ox, block, out); break;
        }
    }
}

template <bool Sums>
void stemRow(const QuantizedStem& s, const uint8_t* const* rows, uint8_t* out) {
    int64_t ox = 0;
    for (; ox + kPixelsTogether <= s.outW; ox += kPixelsTogether) stemPixels<kPixelsTogether, Sums>(s, rows, ox, out);
    switch (s.outW - ox) {
    case 3: stemPixels<3, Sums>(s, rows, ox, out); break;
    case 2: stemPixels<2, Sums>(s, rows, ox, out); break;
    case 1: stemPixels<1, Sums>(s, rows, ox, out); break;
    default: break;
    }
}

// Output rows [first, first + count) over every image.
void runRows(void* context, size_t first, size_t count) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const QuantizedStem& s = *arguments.stem;
    thread_local std::vector<uint8_t> buffers;
    const size_t bytes = static_cast<size_t>(s.kernelH * s.bufferBytes);
    if (buffers.size() < bytes) buffers.resize(bytes);
    const uint8_t* rows[kMostKernelRows];
    for (size_t row = first; row < first + count; ++row) {
        const int64_t batch = static_cast<int64_t>(row) / s.outH, oy = static_cast<int64_t>(row) % s.outH;
        for (int ky = 0; ky < s.kernelH; ++ky) {
            uint8_t* buffer = buffers.data() + ky * s.bufferBytes;
            paddedRow(s, arguments.input, batch, oy * s.strideH - s.padTop + ky, buffer);
            rows[ky] = buffer;
        }
        uint8_t* out = arguments.output + static_cast<int64_t>(row) * s.outW * s.outputChannels;
        if (s.activationSums) stemRow<true>(s, rows, out);
        else stemRow<false>(s, rows, out);
    }
}

// Weights, offsets and the activation-sum pattern: see the top of the file.
void packStem(QuantizedStem& s, const RuntimeTensor& input, const RuntimeTensor& filter, const int32_t* bias) {
    const bool unsignedActivations = input.type == DataType::UInt8;
    const int32_t inputZero = input.zeroPoint(), weightZero = unsignedActivations ? filter.zeroPoint() : 0;
    const int64_t taps = s.kernelH * s.rowBytes;
    auto raw = [&](int64_t n, int64_t k) {
        return unsignedActivations ? int32_t(filter.as<uint8_t>()[n * taps + k]) : int32_t(filter.as<int8_t>()[n * taps + k]);
    };
    s.activationSums = false;
    for (int64_t n = 0; n < s.outputChannels; ++n)
        for (int64_t k = 0; k < taps; ++k) s.activationSums |= raw(n, k) - weightZero < -128 || raw(n, k) - weightZero > 127;
    const int32_t storedOffset = s.activationSums ? 128 : weightZero;
    s.weights.assign(static_cast<size_t>(s.blocks * s.groups * 64), 0);
    for (int64_t n = 0; n < s.outputChannels; ++n) {
        int64_t storedSum = 0, rawSum = 0;
        for (int64_t k = 0; k < taps; ++k) {
            const int64_t ky = k / s.rowBytes, inRow = k % s.rowBytes;
            const int64_t group = ky * s.rowGroups + inRow / 4;
            const int32_t stored = raw(n, k) - storedOffset;
            s.weights[static_cast<size_t>((((n / kLanes) * s.groups + group) * kLanes + n % kLanes) * 4 + inRow % 4)] = static_cast<int8_t>(stored);
            storedSum += stored, rawSum += raw(n, k);
        }
        int64_t offset = bias ? bias[n] : 0;
        if (s.activationSums) offset += -int64_t(inputZero) * rawSum + taps * int64_t(inputZero) * weightZero;
        else offset -= (s.shifted ? 128 + int64_t(inputZero) : int64_t(inputZero)) * storedSum;
        s.requantization.offsets[static_cast<size_t>(n)] = static_cast<int32_t>(offset);
    }
    s.sumFactor = 128 - weightZero;
    if (!s.activationSums) return;
    s.ones.assign(static_cast<size_t>(s.groups * 64), 0);
    for (int64_t group = 0; group < s.groups; ++group)
        for (int64_t lane = 0; lane < kLanes; ++lane)
            for (int64_t j = 0; j < 4; ++j)
                s.ones[static_cast<size_t>((group * kLanes + lane) * 4 + j)] = (group % s.rowGroups) * 4 + j < s.rowBytes ? 1 : 0;
}

Status prepareStem(KernelContext& context) {
    RuntimeTensor padded;
    // The filter's shape was checked with the kernel's choice, and the input's channels are its.
    LS_RETURN_IF_ERROR(prepareReferenceConvolution(context, padded));
    context.scratchBytes = 0;
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& out = context.output(0);
    const auto* options = context.op->options->builtin_options_as_Conv2DOptions();
    const auto& pads = context.op->fusedPadding;
    auto stem = std::make_shared<QuantizedStem>();
    QuantizedStem& s = *stem;
    s.batch = input.dim(0), s.inH = input.dim(1), s.inW = input.dim(2), s.channels = input.dim(3);
    s.outH = out.dim(1), s.outW = out.dim(2), s.outputChannels = out.dim(3), s.blocks = (s.outputChannels + kLanes - 1) / kLanes;
    s.kernelH = filter.dim(1), s.kernelW = filter.dim(2), s.strideH = options->stride_h(), s.strideW = options->stride_w();
    s.padTop = paddingBefore(padded.dim(1), s.outH, s.kernelH, s.strideH) + pads[0];
    s.padLeft = paddingBefore(padded.dim(2), s.outW, s.kernelW, s.strideW) + pads[2];
    s.rowBytes = s.kernelW * s.channels, s.rowGroups = (s.rowBytes + 3) / 4, s.groups = s.kernelH * s.rowGroups;
    s.columns = s.outW > 0 ? (s.outW - 1) * s.strideW + s.kernelW : 0;
    s.bufferBytes = s.columns * s.channels + kRowSlackBytes;
    s.shifted = input.type == DataType::Int8;
    s.padValue = static_cast<uint8_t>(input.zeroPoint() + (s.shifted ? 128 : 0));
    const int activation = context.op->fusedActivation >= 0 ? context.op->fusedActivation : options->fused_activation_function();
    s.requantization.set(input, filter, out, s.outputChannels, activation);
    packStem(s, input, filter, context.hasInput(2) ? context.input(2).as<int32_t>() : nullptr);
    context.state = stem;
    return Status::ok();
}

Status evalStem(KernelContext& context) {
    const auto& s = *static_cast<const QuantizedStem*>(context.state.get());
    if (context.output(0).elementCount() == 0) return Status::ok();
    RunArguments arguments{&s, context.input(0).as<uint8_t>(), context.output(0).as<uint8_t>()};
    auto* pool = static_cast<pthreadpool_t>(threadPoolOf(context));
    const int64_t rows = s.batch * s.outH, threads = pool ? static_cast<int64_t>(pthreadpool_get_threads_count(pool)) : 1;
    const int64_t tile = std::max<int64_t>(1, rows / (kRowTasksPerThread * threads));
    parallelize1dTile1d(pool, runRows, &arguments, static_cast<size_t>(rows), static_cast<size_t>(tile));
    return Status::ok();
}

}  // namespace

const KernelDef* quantizedStemConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = prepareStem, .eval = evalStem, .fusesInputPadding = true, .fusesActivation = true};
    if (!vnniAvailable() || model.opCode(op).builtin != schema::BuiltinOperator_CONV_2D || op.inputs.size() < 2 || op.inputs[0] < 0 ||
        op.inputs[1] < 0 || op.outputs.size() != 1 || op.outputs[0] < 0 || !op.options)
        return nullptr;
    const auto* options = op.options->builtin_options_as_Conv2DOptions();
    if (!options || options->stride_h() < 1 || options->stride_w() < 1 || options->dilation_h_factor() != 1 || options->dilation_w_factor() != 1)
        return nullptr;
    const auto activation = options->fused_activation_function();
    if (activation == schema::ActivationFunctionType_TANH || activation == schema::ActivationFunctionType_SIGN_BIT) return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& filter = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    if (filter.shape.size() != 4 || input.shape.size() != 4 || input.shape[3] != filter.shape[3] || filter.shape[3] < 1 ||
        filter.shape[3] > kMostImageChannels || filter.shape[1] < 1 || filter.shape[1] > kMostKernelRows || filter.shape[2] < 1 ||
        int64_t(filter.shape[2]) * filter.shape[3] > kMostRowBytes || !vnniTakesOperands(subgraph, op, input, filter, output))
        return nullptr;
    return &kernel;
}

}  // namespace litestudio::cpu
