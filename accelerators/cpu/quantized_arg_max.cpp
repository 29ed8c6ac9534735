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
#include "accelerators/cpu/thread_session.h"
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
    // An axis before the innermost: `pixels` slices of size x inner values,
    // the inner ones side by side in lanes (MoveNet's [1, 2304, 17] heatmap).
    int64_t inner = 1;
};

// Lanes for an axis before the innermost: 16-bit indices, 32 of them a vector.
constexpr int64_t kMostInner = 32;
constexpr int64_t kMostAcross = 32767;

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

// Slices [first, end) of an axis before the innermost: each inner lane
// keeps its best value and the first index that had it.
template <bool Signed, bool Maximum, typename Index>
__attribute__((target("avx512f,avx512bw,avx512vl"))) void argAcross(const ArgPlan& p, const uint8_t* input, Index* output,
                                                                   int64_t first, int64_t end) {
    const auto valid = static_cast<__mmask32>(p.inner >= 32 ? 0xffffffffu : (1u << p.inner) - 1u);
    for (int64_t slice = first; slice < end; ++slice) {
        const uint8_t* at = input + slice * p.size * p.inner;
        __m256i winner = _mm256_maskz_loadu_epi8(valid, at);
        __m512i index = _mm512_setzero_si512();
        for (int64_t k = 1; k < p.size; ++k) {
            const __m256i values = _mm256_maskz_loadu_epi8(valid, at + k * p.inner);
            __mmask32 better;
            if constexpr (Signed) better = Maximum ? _mm256_cmpgt_epi8_mask(values, winner) : _mm256_cmplt_epi8_mask(values, winner);
            else better = Maximum ? _mm256_cmpgt_epu8_mask(values, winner) : _mm256_cmplt_epu8_mask(values, winner);
            winner = _mm256_mask_mov_epi8(winner, better, values);
            index = _mm512_mask_mov_epi16(index, better, _mm512_set1_epi16(static_cast<int16_t>(k)));
        }
        alignas(64) uint16_t indices[32];
        _mm512_store_si512(indices, index);
        for (int64_t lane = 0; lane < p.inner; ++lane) output[slice * p.inner + lane] = static_cast<Index>(indices[lane]);
    }
}

// Past what the vectors hold (a shape that grew at run time): value by
// value, `inner` apart (1 for the innermost axis).
template <bool Signed, bool Maximum, typename Index>
void argOneByOne(const ArgPlan& p, const uint8_t* input, Index* output, int64_t first, int64_t end) {
    for (int64_t slice = first; slice < end; ++slice)
        for (int64_t lane = 0; lane < p.inner; ++lane) {
            const uint8_t* at = input + slice * p.size * p.inner + lane;
            auto value = [&](int64_t k) { return Signed ? int32_t(int8_t(at[k * p.inner])) : int32_t(at[k * p.inner]); };
            int64_t winner = 0;
            for (int64_t k = 1; k < p.size; ++k)
                if (Maximum ? value(k) > value(winner) : value(k) < value(winner)) winner = k;
            output[slice * p.inner + lane] = static_cast<Index>(winner);
        }
}

// How a task's slices are taken: Width values of the innermost axis a
// vector (16, 32 or 64), the inner values side by side in lanes, or one
// value at a time.
constexpr int kInLanes = 0, kOneByOne = -1;

template <int Width, bool Signed, bool Maximum>
void argTyped(const ArgPlan& p, const uint8_t* input, void* output, int64_t first, int64_t end) {
    auto run = [&](auto* indices) {
        if constexpr (Width == kInLanes) argAcross<Signed, Maximum>(p, input, indices, first, end);
        else if constexpr (Width == kOneByOne) argOneByOne<Signed, Maximum>(p, input, indices, first, end);
        else argRange<Width, Signed, Maximum>(p, input, indices, first, end);
    };
    if (p.wideOutput) run(static_cast<int64_t*>(output));
    else run(static_cast<int32_t*>(output));
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

// Width values a vector for pixels of `size` values (at most 64).
void argPixels(const ArgPlan& p, const uint8_t* input, void* output, int64_t first, int64_t end) {
    if (p.size <= 16) argWidth<16>(p, input, output, first, end);
    else if (p.size <= 32) argWidth<32>(p, input, output, first, end);
    else argWidth<64>(p, input, output, first, end);
}

void runTask(void* context, size_t task) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const ArgPlan& p = *arguments.plan;
    const int64_t first = static_cast<int64_t>(task) * kPixelsPerTask;
    const int64_t end = std::min(p.pixels, first + kPixelsPerTask);
    if (p.inner == 1 && p.size <= kMostArgMaxPixelValues) argPixels(p, arguments.input, arguments.output, first, end);
    else if (p.inner > 1 && p.inner <= kMostInner && p.size <= kMostAcross) argWidth<kInLanes>(p, arguments.input, arguments.output, first, end);
    else argWidth<kOneByOne>(p, arguments.input, arguments.output, first, end);
}

Status prepareArg(KernelContext& context) {
    const int32_t builtin = context.model->opCode(*context.op).builtin;
    LS_RETURN_IF_ERROR(findReferenceKernel(builtin)->prepare(context));
    const RuntimeTensor& input = context.input(0);
    auto plan = std::make_shared<ArgPlan>();
    const std::vector<int64_t> axisValues = reference::readIntegers(context.input(1));
    int64_t axis = axisValues.empty() ? input.rank() - 1 : axisValues[0];
    if (axis < 0) axis += input.rank();
    if (axis < 0 || axis >= input.rank()) return context.error("axis out of range");  // the reference's prepare said so already
    plan->size = input.dim(static_cast<int>(axis));
    for (int d = static_cast<int>(axis) + 1; d < input.rank(); ++d) plan->inner *= input.dim(d);
    plan->pixels = plan->size > 0 && plan->inner > 0 ? input.elementCount() / (plan->size * plan->inner) : 0;
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
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), runTask, &arguments, tasks);
    return Status::ok();
}

}  // namespace

bool storedValuesOrder(const Tensor& tensor) {
    return (tensor.type == DataType::Int8 || tensor.type == DataType::UInt8) &&
           (tensor.quantization.scales.empty() || (tensor.quantization.scales.size() == 1 && tensor.quantization.scales[0] > 0));
}

void quantizedArgMaxOfPixels(const uint8_t* values, int64_t pixels, int64_t size, bool signedValues, bool wideIndices, void* indices) {
    ArgPlan plan;
    plan.pixels = pixels, plan.size = size, plan.signedValues = signedValues, plan.wideOutput = wideIndices;
    argPixels(plan, values, indices, 0, pixels);
}

const KernelDef* quantizedArgMaxKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{prepareArg, evalArg};
    const int32_t builtin = model.opCode(op).builtin;
    if (!cpuHasAvx512() || (builtin != schema::BuiltinOperator_ARG_MAX && builtin != schema::BuiltinOperator_ARG_MIN) ||
        op.inputs.size() != 2 || op.outputs.size() != 1 || op.inputs[0] < 0 || op.inputs[1] < 0 || op.outputs[0] < 0)
        return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& out = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    const std::vector<int64_t> axisValues = constantIntegers(subgraph, op.inputs[1]);
    if (!storedValuesOrder(input) || input.shape.empty() || (out.type != DataType::Int32 && out.type != DataType::Int64) || axisValues.empty()) return nullptr;
    const int64_t rank = static_cast<int64_t>(input.shape.size());
    const int64_t axis = axisValues[0] < 0 ? axisValues[0] + rank : axisValues[0];
    if (axis < 0 || axis >= rank) return nullptr;
    const int32_t size = input.shape[static_cast<size_t>(axis)];
    if (axis == rank - 1) return size >= 1 && size <= kMostArgMaxPixelValues ? &kernel : nullptr;
    int64_t inner = 1;
    for (int64_t d = axis + 1; d < rank; ++d) inner *= input.shape[static_cast<size_t>(d)];
    return size >= 1 && size <= kMostAcross && inner >= 1 && inner <= kMostInner ? &kernel : nullptr;
}

}  // namespace litestudio::cpu
