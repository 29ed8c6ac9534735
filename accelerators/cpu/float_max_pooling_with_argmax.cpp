#include "accelerators/cpu/float_max_pooling_with_argmax.h"

#include "accelerators/cpu/avx512_intrinsics.h"

#include <pthreadpool.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/mediapipe_ops.h"
#include "core/kernels/reference/reference_kernels.h"

namespace litestudio::cpu {

namespace {

constexpr int kLanes = 16;
constexpr const char* kName = "MaxPoolingWithArgmax2D";

struct PoolGeometry {
    reference::MediaPipeParams params;
    int padTop = 0, padLeft = 0;
    bool integerIndices = false;
};

struct RunArguments {
    const PoolGeometry* g;
    const float* input;
    float* values;
    uint8_t* indices;
    int64_t inH, inW, outH, outW, channels;
};

// One output row: for every pixel and block of 16 channels, the largest
// value over the window (strictly larger replaces, so the first maximum in
// row-major window order wins) and its flat position y * width + x.
__attribute__((target("avx512f"))) void poolRow(const RunArguments& a, int64_t batch, int64_t oy) {
    const PoolGeometry& g = *a.g;
    const __m512 negativeInfinity = _mm512_set1_ps(-INFINITY);
    for (int64_t ox = 0; ox < a.outW; ++ox) {
        const int64_t pixel = (batch * a.outH + oy) * a.outW + ox;
        for (int64_t c = 0; c < a.channels; c += kLanes) {
            const int64_t valid = std::min<int64_t>(kLanes, a.channels - c);
            const __mmask16 mask = static_cast<__mmask16>((1u << valid) - 1u);
            __m512 best = negativeInfinity;
            __m512i where = _mm512_setzero_si512();
            // The window cut to the image first: a hostile filter near 2^31 rows was walked tap by tap.
            const int64_t top = oy * g.params.strideHeight - g.padTop, left = ox * g.params.strideWidth - g.padLeft;
            for (int64_t iy = std::max<int64_t>(top, 0); iy < std::min<int64_t>(top + g.params.filterHeight, a.inH); ++iy) {
                for (int64_t ix = std::max<int64_t>(left, 0); ix < std::min<int64_t>(left + g.params.filterWidth, a.inW); ++ix) {
                    const __m512 value = _mm512_maskz_loadu_ps(mask, a.input + ((batch * a.inH + iy) * a.inW + ix) * a.channels + c);
                    const __mmask16 larger = _mm512_cmp_ps_mask(value, best, _CMP_GT_OQ);
                    best = _mm512_mask_mov_ps(best, larger, value);
                    where = _mm512_mask_mov_epi32(where, larger, _mm512_set1_epi32(static_cast<int32_t>(iy * a.inW + ix)));
                }
            }
            // A window with no finite maximum (all -inf, or +inf) reports 0, as the reference does.
            const __mmask16 infinite = _mm512_cmp_ps_mask(_mm512_abs_ps(best), _mm512_set1_ps(INFINITY), _CMP_EQ_OQ);
            best = _mm512_mask_mov_ps(best, infinite, _mm512_setzero_ps());
            _mm512_mask_storeu_ps(a.values + pixel * a.channels + c, mask, best);
            if (g.integerIndices) _mm512_mask_storeu_epi32(reinterpret_cast<int32_t*>(a.indices) + pixel * a.channels + c, mask, where);
            else _mm512_mask_storeu_ps(reinterpret_cast<float*>(a.indices) + pixel * a.channels + c, mask, _mm512_cvtepi32_ps(where));
        }
    }
}

void runRow(void* context, size_t row) {
    const auto& a = *static_cast<const RunArguments*>(context);
    poolRow(a, static_cast<int64_t>(row) / a.outH, static_cast<int64_t>(row) % a.outH);
}

Status preparePool(KernelContext& context) {
    LS_RETURN_IF_ERROR(reference::findReferenceCustomKernel(kName)->prepare(context));
    auto params = reference::readMediaPipeParams(context, true);
    if (!params) return params.status();
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& values = context.output(0);
    if (int64_t(input.dim(1)) * input.dim(2) >= (int64_t(1) << 24) && context.output(1).type == DataType::Float32)
        return context.error("float indices are exact only below 2^24 pixels");
    auto g = std::make_shared<PoolGeometry>();
    g->params = *params;
    g->padTop = paddingBefore(input.dim(1), values.dim(1), params->filterHeight, params->strideHeight);
    g->padLeft = paddingBefore(input.dim(2), values.dim(2), params->filterWidth, params->strideWidth);
    g->integerIndices = context.output(1).type == DataType::Int32;
    context.state = g;
    return Status::ok();
}

Status evalPool(KernelContext& context) {
    const auto& g = *static_cast<const PoolGeometry*>(context.state.get());
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& values = context.output(0);
    RunArguments arguments{&g, input.as<const float>(), values.as<float>(), context.output(1).data,
                           input.dim(1), input.dim(2), values.dim(1), values.dim(2), input.dim(3)};
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), runRow, &arguments,
                  static_cast<size_t>(int64_t(values.dim(0)) * values.dim(1)));
    return Status::ok();
}

}  // namespace

const KernelDef* floatMaxPoolingWithArgmaxKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{preparePool, evalPool};
    const OpCode& code = model.opCode(op);
    if (!cpuHasAvx512() || !code.isCustom() || code.customName != kName || op.inputs.size() != 1 || op.inputs[0] < 0 ||
        op.outputs.size() != 2)
        return nullptr;
    auto type = [&](int index) { return subgraph.tensors[static_cast<size_t>(index)].type; };
    if (type(op.inputs[0]) != DataType::Float32 || type(op.outputs[0]) != DataType::Float32 ||
        (type(op.outputs[1]) != DataType::Float32 && type(op.outputs[1]) != DataType::Int32))
        return nullptr;
    return &kernel;
}

}  // namespace litestudio::cpu
