#include "accelerators/cpu/float_exp_activations.h"

#include "accelerators/cpu/avx512_intrinsics.h"
#include <pthreadpool.h>

#include <algorithm>
#include <cstdint>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int64_t kChunk = 4096;

struct Job {
    const float* input;
    float* output;
    int64_t count;
};

__attribute__((target("avx512f"))) inline __m512 gelu(__m512 x) {
    // u = sqrt(2 / pi) (x + 0.044715 x^3); gelu = x / (1 + exp(-2u)).
    __m512 x2 = _mm512_mul_ps(x, x);
    __m512 inner = _mm512_fmadd_ps(_mm512_mul_ps(x2, _mm512_set1_ps(0.044715f)), x, x);
    __m512 e = exponentialAvx512(_mm512_mul_ps(inner, _mm512_set1_ps(-2.0f * 0.7978845608028654f)));
    return _mm512_div_ps(x, _mm512_add_ps(_mm512_set1_ps(1.0f), e));
}

template <__m512 (*Function)(__m512)>
__attribute__((target("avx512f"))) void runChunk(void* context, size_t chunk) {
    const Job& job = *static_cast<const Job*>(context);
    int64_t begin = static_cast<int64_t>(chunk) * kChunk, end = std::min(job.count, begin + kChunk);
    int64_t i = begin;
    for (; i + 16 <= end; i += 16) _mm512_storeu_ps(job.output + i, Function(_mm512_loadu_ps(job.input + i)));
    if (i < end) {
        __mmask16 tail = static_cast<__mmask16>((1u << (end - i)) - 1);
        _mm512_mask_storeu_ps(job.output + i, tail, Function(_mm512_maskz_loadu_ps(tail, job.input + i)));
    }
}

template <int32_t Builtin>
Status prepare(KernelContext& context) {
    return findReferenceKernel(Builtin)->prepare(context);
}

template <__m512 (*Function)(__m512)>
Status eval(KernelContext& context) {
    Job job{context.input(0).as<float>(), context.output(0).as<float>(), context.input(0).elementCount()};
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), runChunk<Function>, &job,
                  static_cast<size_t>((job.count + kChunk - 1) / kChunk));
    return Status::ok();
}

// A float32 op of one input and one output of `builtin`.
bool isFloatUnary(const Model& model, const Subgraph& subgraph, const Op& op, int32_t builtin) {
    return cpuHasAvx512() && model.opCode(op).builtin == builtin && op.inputs.size() == 1 && op.outputs.size() == 1 && op.inputs[0] >= 0 &&
           op.outputs[0] >= 0 && subgraph.tensors[static_cast<size_t>(op.inputs[0])].type == DataType::Float32 &&
           subgraph.tensors[static_cast<size_t>(op.outputs[0])].type == DataType::Float32;
}

}  // namespace

const KernelDef* floatGeluKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{prepare<schema::BuiltinOperator_GELU>, eval<gelu>};
    if (!isFloatUnary(model, subgraph, op, schema::BuiltinOperator_GELU)) return nullptr;
    const auto* options = op.options ? op.options->builtin_options_as_GeluOptions() : nullptr;
    if (!options || !options->approximate()) return nullptr;
    return &kernel;
}

const KernelDef* floatSwishKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{prepare<schema::BuiltinOperator_LOGISTIC>, eval<swishAvx512>};
    return op.fusedEpilogue == Op::Epilogue::Swish && isFloatUnary(model, subgraph, op, schema::BuiltinOperator_LOGISTIC) ? &kernel : nullptr;
}

const KernelDef* floatTanhKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{prepare<schema::BuiltinOperator_TANH>, eval<tanhAvx512>};
    return isFloatUnary(model, subgraph, op, schema::BuiltinOperator_TANH) ? &kernel : nullptr;
}

}  // namespace litestudio::cpu
