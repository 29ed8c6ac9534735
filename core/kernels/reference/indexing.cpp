// Index-driven ops: GATHER_ND, SCATTER_ND and TOPK_V2.

#include <algorithm>
#include <numeric>

#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/reference_kernels.h"

namespace litestudio::reference {

namespace {

// ---- GATHER_ND: params [P0..Pn], indices [..., k] -> [..., P_k..Pn] ----
Status prepareGatherNd(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 2, 2, 1));
    const RuntimeTensor& params = context.input(0);
    const RuntimeTensor& indices = context.input(1);
    if (indices.rank() < 1) return context.error("indices need at least one dimension");
    int depth = indices.dim(indices.rank() - 1);
    if (depth > params.rank()) return context.error("index depth exceeds the params' rank");
    std::vector<int32_t> shape(indices.shape.begin(), indices.shape.end() - 1);
    shape.insert(shape.end(), params.shape.begin() + depth, params.shape.end());
    context.output(0).shape = shape;
    return Status::ok();
}

Status evalGatherNd(KernelContext& context) {
    const RuntimeTensor& params = context.input(0);
    const RuntimeTensor& indices = context.input(1);
    int depth = indices.dim(indices.rank() - 1);
    std::vector<int64_t> strides = stridesOf(params.shape);
    int64_t slice = 1;
    for (int d = depth; d < params.rank(); ++d) slice *= params.dim(d);
    int64_t lookups = depth ? indices.elementCount() / depth : 0;
    ValueReader read(params);
    ValueWriter write(context.output(0));
    std::vector<int64_t> index = readIntegers(indices);
    for (int64_t l = 0; l < lookups; ++l) {
        int64_t offset = 0;
        for (int d = 0; d < depth; ++d) {
            int64_t i = index[static_cast<size_t>(l * depth + d)];
            if (i < 0 || i >= params.dim(d)) return context.error("index " + std::to_string(i) + " out of range");
            offset += i * strides[static_cast<size_t>(d)];
        }
        for (int64_t s = 0; s < slice; ++s) write(l * slice + s, read(offset + s));
    }
    return Status::ok();
}

// ---- SCATTER_ND: (indices, updates, shape) -> zeros of `shape` with updates added ----
Status prepareScatterNd(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 3, 3, 1));
    if (context.knows(context.input(2))) {
        auto shape = shapeOperand(context, context.input(2));
        if (!shape) return shape.status();
        context.output(0).shape = *shape;
    }
    return Status::ok();
}

Status evalScatterNd(KernelContext& context) {
    const RuntimeTensor& indices = context.input(0);
    const RuntimeTensor& updates = context.input(1);
    RuntimeTensor& out = context.output(0);
    if (indices.rank() < 1) return context.error("indices need at least one dimension");
    int depth = indices.dim(indices.rank() - 1);
    if (depth > out.rank()) return context.error("index depth exceeds the output's rank");
    std::vector<int64_t> strides = stridesOf(out.shape);
    int64_t slice = 1;
    for (int d = depth; d < out.rank(); ++d) slice *= out.dim(d);
    std::memset(out.data, 0, out.bytes);
    ValueReader read(updates), current(out);
    ValueWriter write(out);
    std::vector<int64_t> index = readIntegers(indices);
    int64_t lookups = depth ? indices.elementCount() / depth : 0;
    if (lookups * slice != updates.elementCount()) return context.error("updates do not match the indices");
    for (int64_t l = 0; l < lookups; ++l) {
        int64_t offset = 0;
        for (int d = 0; d < depth; ++d) {
            int64_t i = index[static_cast<size_t>(l * depth + d)];
            if (i < 0 || i >= out.dim(d)) return context.error("index " + std::to_string(i) + " out of range");
            offset += i * strides[static_cast<size_t>(d)];
        }
        for (int64_t s = 0; s < slice; ++s) write(offset + s, current(offset + s) + read(l * slice + s));
    }
    return Status::ok();
}

// ---- TOPK_V2: the k largest along the last axis, ties to the lower index ----
Status prepareTopK(KernelContext& context) {
    LS_RETURN_IF_ERROR(expectArity(context, 2, 2, 2));
    const RuntimeTensor& input = context.input(0);
    if (input.rank() < 1) return context.error("needs at least one dimension");
    if (!context.knows(context.input(1))) return Status::ok();  // k known only at run time: keep declared shapes
    auto kValue = firstInteger(context, context.input(1));
    if (!kValue) return kValue.status();
    const int64_t k = *kValue;
    if (k < 0 || k > input.dim(input.rank() - 1)) return context.error("k = " + std::to_string(k) + " is out of range");
    std::vector<int32_t> shape = input.shape;
    shape.back() = static_cast<int32_t>(k);
    context.output(0).shape = shape;
    context.output(1).shape = shape;
    return Status::ok();
}

Status evalTopK(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    auto kValue = firstInteger(context, context.input(1));
    if (!kValue) return kValue.status();
    const int64_t k = *kValue;
    int64_t depth = input.dim(input.rank() - 1), rows = depth ? input.elementCount() / depth : 0;
    if (k < 0 || k > depth || context.output(0).dim(context.output(0).rank() - 1) != k)
        return context.error("k = " + std::to_string(k) + " does not match the output shape");
    ValueReader read(input);
    ValueWriter values(context.output(0)), indices(context.output(1));
    std::vector<int64_t> order(static_cast<size_t>(depth));
    for (int64_t r = 0; r < rows; ++r) {
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(),
                         [&](int64_t a, int64_t b) { return read(r * depth + a) > read(r * depth + b); });
        for (int64_t i = 0; i < k; ++i) {
            values(r * k + i, read(r * depth + order[static_cast<size_t>(i)]));
            indices(r * k + i, static_cast<double>(order[static_cast<size_t>(i)]));
        }
    }
    return Status::ok();
}

}  // namespace

void addIndexingKernels(KernelTable& table) {
    table[schema::BuiltinOperator_GATHER_ND] = {prepareGatherNd, evalGatherNd};
    table[schema::BuiltinOperator_SCATTER_ND] = {prepareScatterNd, evalScatterNd};
    table[schema::BuiltinOperator_TOPK_V2] = {prepareTopK, evalTopK};
}

}  // namespace litestudio::reference
