#include "accelerators/cpu/float_rms_norm.h"

#include "accelerators/cpu/avx512_intrinsics.h"
#include <pthreadpool.h>

#include <cmath>
#include <cstring>
#include <memory>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"

namespace litestudio::cpu {

namespace {

// Rows per task: enough work to be worth a thread.
constexpr int64_t kMinElementsPerTask = 32768;

struct Parameters {
    float epsilon = 0;
    std::vector<float> scale;  // empty when the chain had no scale
};

struct Job {
    const float* input;
    float* output;
    const float* scale;
    float epsilon;
    int64_t depth;
    int64_t rowsPerTask;
    int64_t rows;
};

float inverseRms(float sumOfSquares, int64_t depth, float epsilon) {
    float mean = sumOfSquares / static_cast<float>(depth);
    return 1.0f / std::sqrt(mean + epsilon);
}

void portableRow(const Job& job, const float* x, float* y) {
    float sum = 0;
    for (int64_t i = 0; i < job.depth; ++i) sum += x[i] * x[i];
    float inverse = inverseRms(sum, job.depth, job.epsilon);
    for (int64_t i = 0; i < job.depth; ++i) y[i] = job.scale ? (x[i] * inverse) * job.scale[i] : x[i] * inverse;
}

__attribute__((target("avx512f"))) void avx512Row(const Job& job, const float* x, float* y) {
    __m512 sum0 = _mm512_setzero_ps(), sum1 = _mm512_setzero_ps();
    int64_t i = 0, depth = job.depth;
    for (; i + 32 <= depth; i += 32) {
        __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
        sum0 = _mm512_fmadd_ps(a, a, sum0);
        sum1 = _mm512_fmadd_ps(b, b, sum1);
    }
    for (; i < depth; i += 16) {
        __mmask16 mask = depth - i >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << (depth - i)) - 1);
        __m512 a = _mm512_maskz_loadu_ps(mask, x + i);
        sum0 = _mm512_fmadd_ps(a, a, sum0);
    }
    __m512 inverse = _mm512_set1_ps(inverseRms(_mm512_reduce_add_ps(_mm512_add_ps(sum0, sum1)), depth, job.epsilon));
    for (i = 0; i < depth; i += 16) {
        __mmask16 mask = depth - i >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << (depth - i)) - 1);
        __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, x + i), inverse);
        if (job.scale) v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(mask, job.scale + i));
        _mm512_mask_storeu_ps(y + i, mask, v);
    }
}

void runRows(void* context, size_t task) {
    const Job& job = *static_cast<const Job*>(context);
    int64_t begin = static_cast<int64_t>(task) * job.rowsPerTask, end = std::min(job.rows, begin + job.rowsPerTask);
    for (int64_t row = begin; row < end; ++row) {
        const float* x = job.input + row * job.depth;
        float* y = job.output + row * job.depth;
        if (cpuHasAvx512()) avx512Row(job, x, y);
        else portableRow(job, x, y);
    }
}

Status prepare(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 2, 3, 1));  // input 2, the scale, is optional
    const RuntimeTensor& x = context.input(0);
    LS_RETURN_IF_ERROR(expectType(context, x, {DataType::Float32}));
    if (x.rank() == 0 || x.shape.back() <= 0) return context.error("input " + x.name + " needs a non-empty last axis");
    auto parameters = std::make_shared<Parameters>();
    const RuntimeTensor& epsilon = context.input(1);
    if (epsilon.type != DataType::Float32 || epsilon.elementCount() != 1 || epsilon.bytes < 4)
        return context.error("epsilon " + epsilon.name + " must be one float32");
    std::memcpy(&parameters->epsilon, epsilon.data, 4);
    if (context.hasInput(2)) {
        const RuntimeTensor& scale = context.input(2);
        if (scale.type != DataType::Float32 || scale.elementCount() != x.shape.back() ||
            scale.bytes < static_cast<size_t>(x.shape.back()) * 4)
            return context.error("scale " + scale.name + " must hold " + std::to_string(x.shape.back()) + " float32 values");
        parameters->scale.resize(static_cast<size_t>(x.shape.back()));
        std::memcpy(parameters->scale.data(), scale.data, parameters->scale.size() * 4);
    }
    RuntimeTensor& y = context.output(0);
    y.shape = x.shape;
    context.state = std::move(parameters);
    return Status::ok();
}

Status eval(KernelContext& context) {
    const auto& parameters = *static_cast<const Parameters*>(context.state.get());
    const RuntimeTensor& x = context.input(0);
    int64_t depth = x.shape.back();
    Job job{x.as<float>(), context.output(0).as<float>(), parameters.scale.empty() ? nullptr : parameters.scale.data(),
            parameters.epsilon, depth, std::max<int64_t>(1, kMinElementsPerTask / depth), x.elementCount() / depth};
    size_t tasks = static_cast<size_t>((job.rows + job.rowsPerTask - 1) / job.rowsPerTask);
    if (tasks <= 1) {
        if (tasks == 1) runRows(&job, 0);
        return Status::ok();
    }
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), runRows, &job, tasks);
    return Status::ok();
}

const KernelDef kKernel{prepare, eval};

}  // namespace

const KernelDef* floatRmsNormKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    (void)model;
    if (!op.fusedRmsNorm || op.inputs.size() != 3 || op.outputs.size() != 1 || op.inputs[0] < 0 || op.inputs[1] < 0 ||
        op.outputs[0] < 0)
        return nullptr;
    if (subgraph.tensors[static_cast<size_t>(op.inputs[0])].type != DataType::Float32) return nullptr;
    return &kKernel;
}

}  // namespace litestudio::cpu
