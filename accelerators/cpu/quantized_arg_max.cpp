// Each pixel's values load into one 64-byte vector, the lanes past the axis
// filled with a value that never wins. Shuffles that swap halves, quarters,
// ... single bytes, each followed by max (or min), leave the winner in
// every lane; the first lane equal to it is the answer, as the reference's
// strict comparison picks the first of equal values.
#include "accelerators/cpu/quantized_arg_max.h"

#include "accelerators/cpu/avx512_intrinsics.h"

#include <pthreadpool.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/runtime/fusion_matching.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int64_t kPixelsPerTask = 1024;

struct ArgPlan {
    int64_t pixels = 0, size = 0;
    bool signedValues = false, maximum = true, wideOutput = false;
};

struct RunArguments {
    const ArgPlan* plan;
    const uint8_t* input;
    void* output;
};

template <bool Signed, bool Maximum>
__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline)) inline __m512i best(__m512i a, __m512i b) {
    if constexpr (Signed) return Maximum ? _mm512_max_epi8(a, b) : _mm512_min_epi8(a, b);
    else return Maximum ? _mm512_max_epu8(a, b) : _mm512_min_epu8(a, b);
}

// Lanes [0, Width) hold the pixel's values (and fillers); afterwards every
// one of them holds the winner.
template <int Width, bool Signed, bool Maximum>
__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline)) inline __m512i spreadWinner(__m512i v) {
    if constexpr (Width > 32) v = best<Signed, Maximum>(v, _mm512_shuffle_i64x2(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
    if constexpr (Width > 16) v = best<Signed, Maximum>(v, _mm512_shuffle_i64x2(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
    v = best<Signed, Maximum>(v, _mm512_shuffle_epi32(v, _MM_PERM_BADC));
    v = best<Signed, Maximum>(v, _mm512_shuffle_epi32(v, _MM_PERM_CDAB));
    v = best<Signed, Maximum>(v, _mm512_rol_epi32(v, 16));
    const __m512i swapBytes = _mm512_set4_epi32(0x0e0f0c0d, 0x0a0b0809, 0x06070405, 0x02030001);
    return best<Signed, Maximum>(v, _mm512_shuffle_epi8(v, swapBytes));
}

template <int Width, bool Signed, bool Maximum, typename Index>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void argRange(const ArgPlan& p, const uint8_t* input, Index* output,
                                                                  int64_t first, int64_t end) {
    const __mmask64 valid = p.size >= 64 ? ~__mmask64(0) : (__mmask64(1) << p.size) - 1;
    // A filler equal to the winner is never the first lane equal to it: lane 0 holds a real value.
    const uint8_t loser = Signed ? (Maximum ? 0x80 : 0x7f) : (Maximum ? 0x00 : 0xff);
    const __m512i filler = _mm512_set1_epi8(static_cast<char>(loser));
    for (int64_t pixel = first; pixel < end; ++pixel) {
        const __m512i values = _mm512_mask_loadu_epi8(filler, valid, input + pixel * p.size);
        const __m512i winner = spreadWinner<Width, Signed, Maximum>(values);
        const __mmask64 equal = _mm512_cmpeq_epi8_mask(values, winner) & valid;
        output[pixel] = static_cast<Index>(__builtin_ctzll(equal));
    }
}

// Past 64 values (a shape that grew at run time): element by element.
template <bool Signed, bool Maximum, typename Index>
void argRangeScalar(const ArgPlan& p, const uint8_t* input, Index* output, int64_t first, int64_t end) {
    for (int64_t pixel = first; pixel < end; ++pixel) {
        const uint8_t* at = input + pixel * p.size;
        auto value = [&](int64_t k) { return Signed ? int32_t(int8_t(at[k])) : int32_t(at[k]); };
        int64_t winner = 0;
        for (int64_t k = 1; k < p.size; ++k)
            if (Maximum ? value(k) > value(winner) : value(k) < value(winner)) winner = k;
        output[pixel] = static_cast<Index>(winner);
    }
}

template <int Width, bool Signed, bool Maximum>
void argTyped(const ArgPlan& p, const uint8_t* input, void* output, int64_t first, int64_t end) {
    if constexpr (Width > 64) {
        if (p.wideOutput) argRangeScalar<Signed, Maximum>(p, input, static_cast<int64_t*>(output), first, end);
        else argRangeScalar<Signed, Maximum>(p, input, static_cast<int32_t*>(output), first, end);
    } else {
        if (p.wideOutput) argRange<Width, Signed, Maximum>(p, input, static_cast<int64_t*>(output), first, end);
        else argRange<Width, Signed, Maximum>(p, input, static_cast<int32_t*>(output), first, end);
    }
}

template <int Width>
void argWidth(const ArgPlan& p, const uint8_t* input, void* output, int64_t first, int64_t end) {
    if (p.signedValues) {
        if (p.maximum) argTyped<Width, true, true>(p, input, output, first, end);
        else argTyped<Width, true, false>(p, input, output, first, end);
    } else {
        if (p.maximum) argTyped<Width, false, true>(p, input, output, first, end);
        else argTyped<Width, false, false>(p, input, output, first, end);
    }
}

void runTask(void* context, size_t task) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const ArgPlan& p = *arguments.plan;
    const int64_t first = static_cast<int64_t>(task) * kPixelsPerTask;
    const int64_t end = std::min(p.pixels, first + kPixelsPerTask);
    if (p.size <= 16) argWidth<16>(p, arguments.input, arguments.output, first, end);
    else if (p.size <= 32) argWidth<32>(p, arguments.input, arguments.output, first, end);
    else if (p.size <= 64) argWidth<64>(p, arguments.input, arguments.output, first, end);
    else argWidth<65>(p, arguments.input, arguments.output, first, end);
}

Status prepareArg(KernelContext& context) {
    const int32_t builtin = context.model->opCode(*context.op).builtin;
    LS_RETURN_IF_ERROR(findReferenceKernel(builtin)->prepare(context));
    const RuntimeTensor& input = context.input(0);
    auto plan = std::make_shared<ArgPlan>();
    plan->size = input.dim(input.rank() - 1);
    plan->pixels = plan->size > 0 ? input.elementCount() / plan->size : 0;
    plan->signedValues = input.type == DataType::Int8;
    plan->maximum = builtin == schema::BuiltinOperator_ARG_MAX;
    plan->wideOutput = context.output(0).type == DataType::Int64;
    context.state = plan;
    return Status::ok();
}

Status evalArg(KernelContext& context) {
    const auto& plan = *static_cast<const ArgPlan*>(context.state.get());
    if (plan.size == 0 && context.output(0).elementCount() > 0)
        return context.error("takes the arg of an empty axis in " + shapeText(context.input(0).shape));
    RunArguments arguments{&plan, context.input(0).data, context.output(0).data};
    const size_t tasks = static_cast<size_t>((plan.pixels + kPixelsPerTask - 1) / kPixelsPerTask);
    pthreadpool_parallelize_1d(static_cast<pthreadpool_t>(threadPoolOf(context)), runTask, &arguments, tasks, 0);
    return Status::ok();
}

}  // namespace

const KernelDef* quantizedArgMaxKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{prepareArg, evalArg};
    const int32_t builtin = model.opCode(op).builtin;
    if (!cpuHasAvx512() || (builtin != schema::BuiltinOperator_ARG_MAX && builtin != schema::BuiltinOperator_ARG_MIN) ||
        op.inputs.size() != 2 || op.outputs.size() != 1 || op.inputs[0] < 0 || op.inputs[1] < 0 || op.outputs[0] < 0)
        return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& out = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    // Stored values order as the real ones only with one positive scale (or none: plain integers).
    const bool ordered = (input.type == DataType::Int8 || input.type == DataType::UInt8) &&
                         (input.quantization.scales.empty() || (input.quantization.scales.size() == 1 && input.quantization.scales[0] > 0));
    const std::vector<int64_t> axisValues = constantIntegers(subgraph, op.inputs[1]);
    if (!ordered || input.shape.empty() || (out.type != DataType::Int32 && out.type != DataType::Int64) || axisValues.empty()) return nullptr;
    const int64_t axisValue = axisValues[0];
    const int64_t rank = static_cast<int64_t>(input.shape.size());
    if (axisValue != -1 && axisValue != rank - 1) return nullptr;
    const int32_t size = input.shape.back();
    return size >= 1 && size <= 64 ? &kernel : nullptr;
}

}  // namespace litestudio::cpu
