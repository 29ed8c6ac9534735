// An output pixel's window sums 32 channels a step in 16-bit lanes (at
// most 256 values: uint8 sums fit unsigned, int8 sums signed), then each half of 16 is
// divided in float with a one-step correction, which is exact for sums
// below 2^24.
#include "accelerators/cpu/quantized_average_pooling.h"

#include "accelerators/cpu/avx512_intrinsics.h"

#include <pthreadpool.h>

#include <algorithm>
#include <memory>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int kLanes = 32;
constexpr int kMostWindow = 256;

struct PoolPlan {
    int64_t batch = 0, inH = 0, inW = 0, channels = 0, outH = 0, outW = 0;
    int filterH = 1, filterW = 1, strideH = 1, strideW = 1, padTop = 0, padLeft = 0;
    bool signedValues = false;
    int32_t low = 0, high = 255;  // the activation's range of stored values
    int32_t zeroPoint = 0;        // what a window wholly in the padding gives, as in the reference
};

struct RunArguments {
    const PoolPlan* plan;
    const uint8_t* input;
    uint8_t* output;
};

// sign(sum) x ((|sum| + count / 2) / count), as TFLite rounds, for 16 sums.
__attribute__((target("avx512f"), always_inline)) inline __m512i roundedMean(__m512i sum, int count, __m512 reciprocal) {
    const __m512i magnitude = _mm512_abs_epi32(sum);
    const __m512i n = _mm512_add_epi32(magnitude, _mm512_set1_epi32(count / 2));
    __m512i q = _mm512_cvttps_epi32(_mm512_mul_ps(_mm512_cvtepi32_ps(n), reciprocal));
    const __m512i divisor = _mm512_set1_epi32(count);
    const __m512i remainder = _mm512_sub_epi32(n, _mm512_mullo_epi32(q, divisor));
    q = _mm512_mask_sub_epi32(q, _mm512_cmplt_epi32_mask(remainder, _mm512_setzero_si512()), q, _mm512_set1_epi32(1));
    q = _mm512_mask_add_epi32(q, _mm512_cmpge_epi32_mask(remainder, divisor), q, _mm512_set1_epi32(1));
    return _mm512_mask_sub_epi32(q, _mm512_cmplt_epi32_mask(sum, _mm512_setzero_si512()), _mm512_setzero_si512(), q);
}

template <bool Signed>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void poolRow(const PoolPlan& p, const uint8_t* image, uint8_t* outputRow, int64_t oy) {
    const int64_t y0 = std::max<int64_t>(0, oy * p.strideH - p.padTop), y1 = std::min<int64_t>(p.inH, oy * p.strideH - p.padTop + p.filterH);
    const __m512i low = _mm512_set1_epi32(p.low), high = _mm512_set1_epi32(p.high);
    for (int64_t ox = 0; ox < p.outW; ++ox) {
        const int64_t x0 = std::max<int64_t>(0, ox * p.strideW - p.padLeft), x1 = std::min<int64_t>(p.inW, ox * p.strideW - p.padLeft + p.filterW);
        const int count = static_cast<int>(std::max<int64_t>(0, y1 - y0) * std::max<int64_t>(0, x1 - x0));
        const __m512 reciprocal = _mm512_set1_ps(count > 0 ? 1.0f / static_cast<float>(count) : 0.0f);
        uint8_t* out = outputRow + ox * p.channels;
        for (int64_t c = 0; c < p.channels; c += kLanes) {
            const int64_t width = std::min<int64_t>(kLanes, p.channels - c);
            const __mmask32 mask = width >= kLanes ? ~__mmask32(0) : static_cast<__mmask32>((1u << width) - 1u);
            __m512i sums = _mm512_setzero_si512();
            for (int64_t iy = y0; iy < y1; ++iy) {
                const uint8_t* row = image + (iy * p.inW) * p.channels + c;
                for (int64_t ix = x0; ix < x1; ++ix) {
                    const __m256i bytes = _mm256_maskz_loadu_epi8(mask, row + ix * p.channels);
                    sums = _mm512_add_epi16(sums, Signed ? _mm512_cvtepi8_epi16(bytes) : _mm512_cvtepu8_epi16(bytes));
                }
            }
            // uint8 sums reach 255 x 256 = 65,280: unsigned 16-bit lanes.
            const __m256i lowHalf = _mm512_castsi512_si256(sums), highHalf = _mm512_extracti64x4_epi64(sums, 1);
            const __m512i halves[2] = {Signed ? _mm512_cvtepi16_epi32(lowHalf) : _mm512_cvtepu16_epi32(lowHalf),
                                       Signed ? _mm512_cvtepi16_epi32(highHalf) : _mm512_cvtepu16_epi32(highHalf)};
            for (int h = 0; h < 2; ++h) {
                __m512i mean = count > 0 ? roundedMean(halves[h], count, reciprocal) : _mm512_set1_epi32(p.zeroPoint);
                mean = _mm512_min_epi32(_mm512_max_epi32(mean, low), high);
                const __mmask16 lanes = static_cast<__mmask16>(mask >> (16 * h));
                _mm_mask_storeu_epi8(out + c + 16 * h, lanes, _mm512_cvtepi32_epi8(mean));
            }
        }
    }
}

void runRow(void* context, size_t row) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const PoolPlan& p = *arguments.plan;
    const int64_t batch = static_cast<int64_t>(row) / p.outH, oy = static_cast<int64_t>(row) % p.outH;
    const uint8_t* image = arguments.input + batch * p.inH * p.inW * p.channels;
    uint8_t* outputRow = arguments.output + static_cast<int64_t>(row) * p.outW * p.channels;
    if (p.signedValues) poolRow<true>(p, image, outputRow, oy);
    else poolRow<false>(p, image, outputRow, oy);
}

Status preparePool(KernelContext& context) {
    LS_RETURN_IF_ERROR(findReferenceKernel(schema::BuiltinOperator_AVERAGE_POOL_2D)->prepare(context));
    context.scratchBytes = 0;
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& output = context.output(0);
    const auto* options = context.op->options->builtin_options_as_Pool2DOptions();
    auto plan = std::make_shared<PoolPlan>();
    PoolPlan& p = *plan;
    p.batch = input.dim(0), p.inH = input.dim(1), p.inW = input.dim(2), p.channels = input.dim(3);
    p.outH = output.dim(1), p.outW = output.dim(2);
    p.filterH = options->filter_height(), p.filterW = options->filter_width();
    p.strideH = options->stride_h(), p.strideW = options->stride_w();
    p.padTop = paddingBefore(p.inH, p.outH, p.filterH, p.strideH);
    p.padLeft = paddingBefore(p.inW, p.outW, p.filterW, p.strideW);
    p.zeroPoint = input.zeroPoint();
    p.signedValues = input.type == DataType::Int8;
    const reference::QuantizedRange range = reference::quantizedActivationRange(output, options->fused_activation_function());
    p.low = range.low, p.high = range.high;
    context.state = plan;
    return Status::ok();
}

Status evalPool(KernelContext& context) {
    const auto& p = *static_cast<const PoolPlan*>(context.state.get());
    RunArguments arguments{&p, context.input(0).as<const uint8_t>(), context.output(0).as<uint8_t>()};
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), runRow, &arguments,
                  static_cast<size_t>(p.batch * p.outH));
    return Status::ok();
}

}  // namespace

const KernelDef* quantizedAveragePoolingKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = preparePool, .eval = evalPool};
    if (!cpuHasAvx512() || model.opCode(op).builtin != schema::BuiltinOperator_AVERAGE_POOL_2D || op.inputs.size() != 1 ||
        op.inputs[0] < 0 || op.outputs.size() != 1 || op.outputs[0] < 0)
        return nullptr;
    const auto* options = op.options ? op.options->builtin_options_as_Pool2DOptions() : nullptr;
    if (!options || options->filter_height() <= 0 || options->filter_width() <= 0 || options->stride_h() <= 0 || options->stride_w() <= 0 ||
        int64_t(options->filter_height()) * options->filter_width() > kMostWindow)
        return nullptr;
    if (!isClampActivation(options->fused_activation_function())) return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    return input.shape.size() == 4 && sharesEightBitQuantization(input, output) ? &kernel : nullptr;
}

}  // namespace litestudio::cpu
