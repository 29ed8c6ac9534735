#include "accelerators/cpu/float_rope.h"

#include "accelerators/cpu/avx512_intrinsics.h"

#include <vector>

#include "accelerators/cpu/cpu_features.h"

namespace litestudio::cpu {

namespace {

// For each row of x (every axis but the last), where its row of a cos or
// sin table starts: broadcast axes step by 0.
std::vector<int64_t> tableRowOffsets(const std::vector<int32_t>& xShape, const std::vector<int32_t>& tableShape) {
    size_t rank = xShape.size(), offset = rank - tableShape.size();
    std::vector<int64_t> strides(rank, 0);
    int64_t stride = tableShape.back();
    for (size_t d = rank - 1; d-- > 0;) {
        bool present = d >= offset && tableShape[d - offset] != 1;
        strides[d] = present ? stride : 0;
        if (d >= offset) stride *= tableShape[d - offset];
    }
    int64_t rows = 1;
    for (size_t d = 0; d + 1 < rank; ++d) rows *= xShape[d];
    std::vector<int64_t> offsets(static_cast<size_t>(rows));
    for (int64_t row = 0; row < rows; ++row) {
        int64_t rest = row, at = 0;
        for (size_t d = rank - 1; d-- > 0;) {
            at += (rest % xShape[d]) * strides[d];
            rest /= xShape[d];
        }
        offsets[static_cast<size_t>(row)] = at;
    }
    return offsets;
}

struct State {
    std::vector<int64_t> cosRows, sinRows;
};

// The products are kept apart from the sum: the compiler may not contract
// them into one fused multiply-add, which rounds differently (GCC by a
// function attribute, clang by a pragma in the body).
#if defined(__clang__)
void portableRow(const float* x, const float* cos, const float* sin, float* y, int64_t half) {
#pragma clang fp contract(off)
#else
__attribute__((optimize("fp-contract=off"))) void portableRow(const float* x, const float* cos, const float* sin, float* y,
                                                             int64_t half) {
#endif
    for (int64_t i = 0; i < half; ++i) {
        float a = x[i], b = x[i + half];
        y[i] = a * cos[i] - b * sin[i];  // a cos + (-b) sin, exactly
        y[i + half] = b * cos[i + half] + a * sin[i + half];
    }
}

__attribute__((target("avx512f"))) void avx512Row(const float* x, const float* cos, const float* sin, float* y, int64_t half) {
    for (int64_t i = 0; i < half; i += 16) {
        __mmask16 mask = half - i >= 16 ? __mmask16(0xffff) : static_cast<__mmask16>((1u << (half - i)) - 1);
        __m512 a = _mm512_maskz_loadu_ps(mask, x + i), b = _mm512_maskz_loadu_ps(mask, x + half + i);
        // a cos + (-b) sin: negating is exact, so this is a cos - b sin.
        __m512 low = _mm512_sub_ps(_mm512_mul_ps(a, _mm512_maskz_loadu_ps(mask, cos + i)),
                                   _mm512_mul_ps(b, _mm512_maskz_loadu_ps(mask, sin + i)));
        __m512 high = _mm512_add_ps(_mm512_mul_ps(b, _mm512_maskz_loadu_ps(mask, cos + half + i)),
                                    _mm512_mul_ps(a, _mm512_maskz_loadu_ps(mask, sin + half + i)));
        _mm512_mask_storeu_ps(y + i, mask, low);
        _mm512_mask_storeu_ps(y + half + i, mask, high);
    }
}

Status prepare(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 3, 3, 1));
    const RuntimeTensor& x = context.input(0);
    for (size_t i = 0; i < 3; ++i) LS_RETURN_IF_ERROR(expectType(context, context.input(i), {DataType::Float32}));
    if (x.rank() == 0 || x.shape.back() <= 0 || x.shape.back() % 2 != 0)
        return context.error("input " + x.name + " needs an even, non-empty last axis");
    auto state = std::make_shared<State>();
    for (size_t i : {size_t{1}, size_t{2}}) {
        const RuntimeTensor& table = context.input(i);
        bool fits = table.rank() >= 1 && table.rank() <= x.rank() && table.shape.back() == x.shape.back();
        for (int d = 0; fits && d < table.rank(); ++d) {
            int32_t want = x.dim(x.rank() - table.rank() + d);
            fits = table.dim(d) == 1 || table.dim(d) == want;
        }
        if (!fits) return context.error(table.name + " does not broadcast to " + x.name);
        (i == 1 ? state->cosRows : state->sinRows) = tableRowOffsets(x.shape, table.shape);
    }
    context.output(0).shape = x.shape;
    context.state = std::move(state);
    return Status::ok();
}

Status eval(KernelContext& context) {
    const auto& state = *static_cast<const State*>(context.state.get());
    const RuntimeTensor& x = context.input(0);
    int64_t depth = x.shape.back(), half = depth / 2;
    const float* cos = context.input(1).as<float>();
    const float* sin = context.input(2).as<float>();
    float* y = context.output(0).as<float>();
    for (size_t row = 0; row < state.cosRows.size(); ++row) {
        const float* in = x.as<float>() + static_cast<int64_t>(row) * depth;
        float* out = y + static_cast<int64_t>(row) * depth;
        if (cpuHasAvx512()) avx512Row(in, cos + state.cosRows[row], sin + state.sinRows[row], out, half);
        else portableRow(in, cos + state.cosRows[row], sin + state.sinRows[row], out, half);
    }
    return Status::ok();
}

const KernelDef kKernel{prepare, eval};

}  // namespace

const KernelDef* floatRopeKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    (void)model;
    if (!op.fusedRope || op.inputs.size() != 3 || op.outputs.size() != 1 || op.outputs[0] < 0) return nullptr;
    for (int input : op.inputs)
        if (input < 0 || subgraph.tensors[static_cast<size_t>(input)].type != DataType::Float32) return nullptr;
    return &kKernel;
}

}  // namespace litestudio::cpu
