#include "core/runtime/rope_fusion.h"

#include "core/runtime/fusion_matching.h"
#include "tflite_schema_generated.h"

namespace litestudio {

namespace {

// Whether `op` is SLICE(x) taking the whole of every axis but the last, and
// [start, start + length) of the last.
bool slicesLastAxis(const Subgraph& subgraph, const Op& op, int x, int32_t start, int32_t length) {
    if (op.inputs.size() != 3 || op.inputs[0] != x) return false;
    const std::vector<int32_t>& shape = subgraph.tensors[static_cast<size_t>(x)].shape;
    std::vector<int64_t> begin = constantIntegers(subgraph, op.inputs[1]);
    std::vector<int64_t> size = constantIntegers(subgraph, op.inputs[2]);
    if (begin.size() != shape.size() || size.size() != shape.size()) return false;
    for (size_t d = 0; d + 1 < shape.size(); ++d)
        if (begin[d] != 0 || (size[d] != shape[d] && size[d] != -1)) return false;
    return begin.back() == start && (size.back() == length || (size.back() == -1 && start + length == shape.back()));
}

// `table` (cos or sin) broadcasts to x's shape, right-aligned.
bool broadcastsTo(const Subgraph& subgraph, int table, const std::vector<int32_t>& shape) {
    if (!isStaticFloat(subgraph, table)) return false;
    const std::vector<int32_t>& tableShape = subgraph.tensors[static_cast<size_t>(table)].shape;
    if (tableShape.size() > shape.size() || tableShape.empty() || tableShape.back() != shape.back()) return false;
    size_t offset = shape.size() - tableShape.size();
    for (size_t d = 0; d < tableShape.size(); ++d)
        if (tableShape[d] != 1 && tableShape[d] != shape[offset + d]) return false;
    return true;
}

}  // namespace

int fuseRope(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
             std::vector<const Accelerator*>& assignment) {
    using namespace schema;
    TensorUse use = tensorUse(subgraph);
    int folded = 0;
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        Op& addOp = subgraph.ops[o];
        if (!isPlainOp(model, addOp, BuiltinOperator_ADD, 2) || !hasNoActivation(addOp)) continue;
        int self = static_cast<int>(o);
        for (int order = 0; order < 2; ++order) {
            int cosMul = plainProducerFor(model, subgraph, use, addOp.inputs[order], BuiltinOperator_MUL, 2, self);
            int sinMul = plainProducerFor(model, subgraph, use, addOp.inputs[1 - order], BuiltinOperator_MUL, 2, self);
            if (cosMul < 0 || sinMul < 0) continue;
            const Op& sinOp = subgraph.ops[static_cast<size_t>(sinMul)];
            const Op& cosOp = subgraph.ops[static_cast<size_t>(cosMul)];
            if (!hasNoActivation(sinOp) || !hasNoActivation(cosOp)) continue;
            // MUL(rotated, sin): rotated comes from the CONCATENATION.
            int concat = -1, sin = -1;
            for (int side = 0; side < 2 && concat < 0; ++side) {
                concat = plainProducerFor(model, subgraph, use, sinOp.inputs[side], BuiltinOperator_CONCATENATION, 2, sinMul);
                sin = sinOp.inputs[1 - side];
            }
            if (concat < 0) continue;
            const Op& concatOp = subgraph.ops[static_cast<size_t>(concat)];
            int neg = plainProducerFor(model, subgraph, use, concatOp.inputs[0], BuiltinOperator_NEG, 1, concat);
            int firstSlice = plainProducerFor(model, subgraph, use, concatOp.inputs[1], BuiltinOperator_SLICE, 3, concat);
            if (neg < 0 || firstSlice < 0) continue;
            int secondSlice = plainProducerFor(model, subgraph, use, subgraph.ops[static_cast<size_t>(neg)].inputs[0],
                                         BuiltinOperator_SLICE, 3, neg);
            if (secondSlice < 0) continue;
            int x = subgraph.ops[static_cast<size_t>(firstSlice)].inputs[0];
            if (!isStaticFloat(subgraph, x)) continue;
            const std::vector<int32_t>& shape = subgraph.tensors[static_cast<size_t>(x)].shape;
            if (shape.empty() || shape.back() <= 0 || shape.back() % 2 != 0) continue;
            int32_t half = shape.back() / 2;
            if (!slicesLastAxis(subgraph, subgraph.ops[static_cast<size_t>(firstSlice)], x, 0, half) ||
                !slicesLastAxis(subgraph, subgraph.ops[static_cast<size_t>(secondSlice)], x, half, half))
                continue;
            const auto* concatOptions = concatOp.options ? concatOp.options->builtin_options_as_ConcatenationOptions() : nullptr;
            if (!concatOptions || concatOptions->fused_activation_function() != ActivationFunctionType_NONE ||
                (concatOptions->axis() != static_cast<int>(shape.size()) - 1 && concatOptions->axis() != -1))
                continue;
            int cos = cosOp.inputs[0] == x ? cosOp.inputs[1] : cosOp.inputs[1] == x ? cosOp.inputs[0] : -1;
            if (cos < 0 || !broadcastsTo(subgraph, cos, shape) || !broadcastsTo(subgraph, sin, shape)) continue;
            int result = addOp.outputs[0];
            bool sameShapes = isStaticFloat(subgraph, result) && subgraph.tensors[static_cast<size_t>(result)].shape == shape;
            for (int op : {cosMul, sinMul, concat})
                sameShapes &= subgraph.tensors[static_cast<size_t>(subgraph.ops[static_cast<size_t>(op)].outputs[0])].shape == shape;
            if (!sameShapes) continue;

            Op fusedOp = addOp;
            fusedOp.inputs = {x, cos, sin};
            fusedOp.fusedRope = true;
            const Accelerator* chosen = nullptr;
            const KernelDef* kernel =
                fusedKernelOf(model, subgraph, fusedOp, {assignment[o], assignment[static_cast<size_t>(cosMul)]}, chosen);
            if (!kernel) continue;
            folded += placeFusedOp(subgraph, o, std::move(fusedOp), kernel, chosen, kernels, assignment,
                                   {firstSlice, secondSlice, neg, concat, cosMul, sinMul});
            break;
        }
    }
    return folded;
}

}  // namespace litestudio
