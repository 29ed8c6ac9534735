#include "accelerators/cpu/float_resize_bilinear.h"

#include "accelerators/cpu/avx512_intrinsics.h"

#include <memory>
#include <tuple>
#include <vector>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/bilinear_resize_support.h"
#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/bilinear_sampling.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int kLanes = 16;

struct ResizePlan : BilinearResizeGeometry {
    float low = 0, high = 0;  // the folded activation's clamp
    // A folded ADD (Op::fusedResidual): its tensor, shaped as the output,
    // added after the clamp, then the ADD's own clamp.
    bool residual = false;
    float residualLow = 0, residualHigh = 0;
};

struct RunArguments {
    const ResizePlan* plan;
    const float* input;
    const float* residual;  // null without a folded ADD
    float* output;
};

// Input row `y` of `image` blended to the output's width.
__attribute__((target("avx512f"))) void blendColumns(const ResizePlan& p, const float* input, int64_t image, int y, float* row) {
    const float* source = input + (image * p.inH + y) * int64_t(p.inW) * p.channels;
    for (int ox = 0; ox < p.outW; ++ox, row += p.channels) {
        const reference::BilinearSample& h = p.columns[static_cast<size_t>(ox)];
        const float* left = source + int64_t(h.low) * p.channels;
        const float* right = source + int64_t(h.high) * p.channels;
        const __m512 alpha = _mm512_set1_ps(h.fraction);
        for (int c = 0; c < p.channels; c += kLanes) {
            const __mmask16 mask = firstLanes(p.channels - c);
            const __m512 l = _mm512_maskz_loadu_ps(mask, left + c), r = _mm512_maskz_loadu_ps(mask, right + c);
            _mm512_mask_storeu_ps(row + c, mask, _mm512_fmadd_ps(_mm512_sub_ps(r, l), alpha, l));
        }
    }
}

__attribute__((target("avx512f"))) void resizeRows(const ResizePlan& p, const float* input, const float* residual, float* output,
                                                  int64_t first, int64_t count, ResampledRows<float>& cache) {
    const int64_t rowLength = int64_t(p.outW) * p.channels;
    auto blended = [&](int64_t image, int y, int64_t keep) {
        return cache.get(image * p.inH + y, keep, static_cast<size_t>(rowLength),
                         [&](float* row) { blendColumns(p, input, image, y, row); });
    };
    const __m512 low = _mm512_set1_ps(p.low), high = _mm512_set1_ps(p.high);
    const __m512 residualLow = _mm512_set1_ps(p.residualLow), residualHigh = _mm512_set1_ps(p.residualHigh);
    for (int64_t row = first; row < first + count; ++row) {
        const int64_t image = row / p.outH, oy = row % p.outH;
        const reference::BilinearSample v = p.rows.at(static_cast<int>(oy));
        const float* top = blended(image, v.low, -1);
        const float* bottom = blended(image, v.high, image * p.inH + v.low);
        const __m512 alpha = _mm512_set1_ps(v.fraction);
        float* target = output + row * rowLength;
        const float* added = residual ? residual + row * rowLength : nullptr;
        for (int64_t i = 0; i < rowLength; i += kLanes) {
            const __mmask16 mask = firstLanes(rowLength - i);
            const __m512 t = _mm512_maskz_loadu_ps(mask, top + i), b = _mm512_maskz_loadu_ps(mask, bottom + i);
            // low and high first: a NaN comes through (max and min return their second operand then).
            __m512 value = _mm512_min_ps(high, _mm512_max_ps(low, _mm512_fmadd_ps(_mm512_sub_ps(b, t), alpha, t)));
            if (added)
                value = _mm512_min_ps(residualHigh, _mm512_max_ps(residualLow, _mm512_add_ps(value, _mm512_maskz_loadu_ps(mask, added + i))));
            _mm512_mask_storeu_ps(target + i, mask, value);
        }
    }
}

void runRows(void* context, size_t first, size_t count) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    thread_local ResampledRows<float> cache;
    cache.forget();
    resizeRows(*arguments.plan, arguments.input, arguments.residual, arguments.output, static_cast<int64_t>(first), static_cast<int64_t>(count),
               cache);
}

Status prepareResize(KernelContext& context) {
    auto plan = std::make_shared<ResizePlan>();
    LS_RETURN_IF_ERROR(prepareBilinearResize(context, *plan));
    std::tie(plan->low, plan->high) = clampRange(context, schema::ActivationFunctionType_NONE);
    if (context.op->fusedResidual) {
        LS_RETURN_IF_ERROR(readExactResidual(context, context.input(2), plan->residualLow, plan->residualHigh));
        plan->residual = true;
    }
    context.state = plan;
    return Status::ok();
}

Status evalResize(KernelContext& context) {
    const auto& plan = *static_cast<const ResizePlan*>(context.state.get());
    RunArguments arguments{&plan, context.input(0).as<const float>(), plan.residual ? context.input(2).as<const float>() : nullptr,
                           context.output(0).as<float>()};
    return runResizeRows(context, plan, runRows, &arguments);
}

}  // namespace

const KernelDef* floatResizeBilinearKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = prepareResize, .eval = evalResize, .fusesActivation = true, .fusesResidual = true};
    if (!cpuHasAvx512() || !isConstantSizeResize(model, subgraph, op)) return nullptr;
    const bool floats = subgraph.tensors[static_cast<size_t>(op.inputs[0])].type == DataType::Float32 &&
                        subgraph.tensors[static_cast<size_t>(op.outputs[0])].type == DataType::Float32;
    return floats ? &kernel : nullptr;
}

}  // namespace litestudio::cpu
