#include "accelerators/cpu/float_local_response_normalization.h"

#include "accelerators/cpu/avx512_intrinsics.h"
#include "accelerators/cpu/channel_major_tiles.h"

#include <pthreadpool.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr int kLanes = 16;
constexpr int64_t kRowsPerTask = 64;
constexpr int64_t kMostChannels = 8192;  // a row's window sums on the stack
constexpr int64_t kMostSideBySide = 512;  // sixteen rows side by side: 64 KiB of them on the stack

enum class Power { InverseSquareRoot, InverseThreeQuarters, Inverse };

struct Normalization {
    int64_t rows = 0, depth = 0, radius = 0;
    float bias = 0, alpha = 0;
    Power power = Power::InverseThreeQuarters;
};

struct RunArguments {
    const Normalization* plan;
    const float* input;
    float* output;
};

// v^beta for the three betas taken.
template <Power P>
__attribute__((target("avx512f"), always_inline)) inline __m512 powerOf(__m512 v) {
    const __m512 root = _mm512_sqrt_ps(v);
    if constexpr (P == Power::InverseSquareRoot) return root;
    else if constexpr (P == Power::InverseThreeQuarters) return _mm512_mul_ps(root, _mm512_sqrt_ps(root));
    else return v;
}

// Sixteen rows at once, a row a lane: each lane's running window takes
// TFLite's additions in TFLite's order, as the row-by-row loop below does,
// but sixteen rows' chains of dependent additions run side by side instead
// of one (Inception's 56x56x64, radius 2: 0.42 -> 0.13-0.155 ms). The rows turn
// channel-major and back by 16x16 transposes (gathers and scatters had
// taken two thirds of the time).
template <Power P>
__attribute__((target("avx512f"))) void normalizeSixteenRows(const Normalization& n, const float* x, float* y) {
    alignas(64) float values[kMostSideBySide * kLanes];   // [channel][row], channels rounded up to 16
    alignas(64) float squares[kMostSideBySide * kLanes];  // [channel][row], times alpha
    alignas(64) float padded[kLanes * kLanes];
    const int64_t depth = n.depth;
    const __m512 alpha = _mm512_set1_ps(n.alpha), bias = _mm512_set1_ps(n.bias);
    __m512 block[kLanes];
    for (int64_t c = 0; c < depth; c += kLanes) {
        const int width = static_cast<int>(std::min<int64_t>(kLanes, depth - c));
        if (width == kLanes) {
            channel_major::transpose16x16From(x + c, depth, block);
        } else {  // the rows' last channels: no reading past the last row
            channel_major::padBlock(x, depth, 0, kLanes, c, width, padded);
            channel_major::transpose16x16From(padded, kLanes, block);
        }
        for (int j = 0; j < kLanes; ++j) {
            _mm512_store_ps(values + (c + j) * kLanes, block[j]);
            _mm512_store_ps(squares + (c + j) * kLanes, _mm512_mul_ps(_mm512_mul_ps(block[j], block[j]), alpha));
        }
    }
    __m512 window = _mm512_setzero_ps();
    for (int64_t c = 0; c < std::min(n.radius, depth); ++c) window = _mm512_add_ps(window, _mm512_load_ps(squares + c * kLanes));
    for (int64_t c = 0; c < depth; ++c) {
        if (c + n.radius < depth) window = _mm512_add_ps(window, _mm512_load_ps(squares + (c + n.radius) * kLanes));
        const __m512 denominator = _mm512_add_ps(bias, window);
        if (c - n.radius >= 0) window = _mm512_sub_ps(window, _mm512_load_ps(squares + (c - n.radius) * kLanes));
        _mm512_store_ps(values + c * kLanes, _mm512_div_ps(_mm512_load_ps(values + c * kLanes), powerOf<P>(denominator)));
    }
    for (int64_t c = 0; c < depth; c += kLanes) {
        const __mmask16 lanes = firstLanes(depth - c);
        channel_major::transpose16x16From(values + c * kLanes, kLanes, block);  // block[row]: its channels c .. c + 15
        for (int row = 0; row < kLanes; ++row) _mm512_mask_storeu_ps(y + row * depth + c, lanes, block[row]);
    }
}

template <Power P>
__attribute__((target("avx512f"))) void normalizeRows(const Normalization& n, const float* x, float* y, int64_t first, int64_t end) {
    alignas(64) float denominators[kMostChannels];
    const int64_t depth = n.depth;
    if (depth <= kMostSideBySide)
        for (; first + kLanes <= end; first += kLanes) normalizeSixteenRows<P>(n, x + first * depth, y + first * depth);
    for (int64_t r = first; r < end; ++r) {
        const float* row = x + r * depth;
        // TFLite's running window, the same float additions in the same order.
        float window = 0;
        for (int64_t c = 0; c < std::min(n.radius, depth); ++c) window += row[c] * row[c] * n.alpha;
        for (int64_t c = 0; c < depth; ++c) {
            if (c + n.radius < depth) window += row[c + n.radius] * row[c + n.radius] * n.alpha;
            denominators[c] = n.bias + window;
            if (c - n.radius >= 0) window -= row[c - n.radius] * row[c - n.radius] * n.alpha;
        }
        for (int64_t c = 0; c < depth; c += kLanes) {
            const __mmask16 lanes = firstLanes(depth - c);
            const __m512 v = _mm512_maskz_loadu_ps(lanes, denominators + c);
            _mm512_mask_storeu_ps(y + r * depth + c, lanes, _mm512_div_ps(_mm512_maskz_loadu_ps(lanes, row + c), powerOf<P>(v)));
        }
    }
}

void runRows(void* context, size_t task) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const Normalization& n = *arguments.plan;
    const int64_t first = static_cast<int64_t>(task) * kRowsPerTask, end = std::min(n.rows, first + kRowsPerTask);
    switch (n.power) {
    case Power::InverseSquareRoot: return normalizeRows<Power::InverseSquareRoot>(n, arguments.input, arguments.output, first, end);
    case Power::InverseThreeQuarters: return normalizeRows<Power::InverseThreeQuarters>(n, arguments.input, arguments.output, first, end);
    case Power::Inverse: return normalizeRows<Power::Inverse>(n, arguments.input, arguments.output, first, end);
    }
}

Status prepareNormalization(KernelContext& context) {
    LS_RETURN_IF_ERROR(findReferenceKernel(schema::BuiltinOperator_LOCAL_RESPONSE_NORMALIZATION)->prepare(context));
    const RuntimeTensor& input = context.input(0);
    const auto* options = context.op->options->builtin_options_as_LocalResponseNormalizationOptions();
    auto plan = std::make_shared<Normalization>();
    plan->depth = input.dim(input.rank() - 1);
    if (plan->depth > kMostChannels) return context.error("rows of more than " + std::to_string(kMostChannels) + " channels");
    plan->rows = plan->depth ? input.elementCount() / plan->depth : 0;
    plan->radius = options->radius();
    plan->bias = options->bias(), plan->alpha = options->alpha();
    plan->power = options->beta() == 0.5f ? Power::InverseSquareRoot : options->beta() == 1.0f ? Power::Inverse : Power::InverseThreeQuarters;
    context.state = plan;
    return Status::ok();
}

Status evalNormalization(KernelContext& context) {
    const auto& plan = *static_cast<const Normalization*>(context.state.get());
    RunArguments arguments{&plan, context.input(0).as<const float>(), context.output(0).as<float>()};
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), runRows, &arguments,
                  static_cast<size_t>((plan.rows + kRowsPerTask - 1) / kRowsPerTask));
    return Status::ok();
}

}  // namespace

const KernelDef* floatLocalResponseNormalizationKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = prepareNormalization, .eval = evalNormalization};
    if (!cpuHasAvx512() || model.opCode(op).builtin != schema::BuiltinOperator_LOCAL_RESPONSE_NORMALIZATION || op.inputs.size() != 1 ||
        op.outputs.size() != 1 || op.inputs[0] < 0 || op.outputs[0] < 0)
        return nullptr;
    const auto* options = op.options ? op.options->builtin_options_as_LocalResponseNormalizationOptions() : nullptr;
    if (!options || options->radius() < 0 || (options->beta() != 0.5f && options->beta() != 0.75f && options->beta() != 1.0f)) return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    if (input.type != DataType::Float32 || output.type != DataType::Float32 || input.shape.empty() || input.shape.back() > kMostChannels)
        return nullptr;
    return &kernel;
}

}  // namespace litestudio::cpu
