#include "core/runtime/rms_norm_fusion.h"

#include "core/runtime/fusion_matching.h"
#include "tflite_schema_generated.h"

namespace litestudio {

namespace {

// The reduced axis of a MEAN, or -1 when it is not one constant axis.
int reducedAxis(const Subgraph& subgraph, int axes, int rank) {
    std::vector<int64_t> values = constantIntegers(subgraph, axes);
    if (values.size() != 1) return -1;
    return static_cast<int>(values[0] < 0 ? values[0] + rank : values[0]);
}

// The other input of a two-input op, given one of them.
int otherInput(const Op& op, int known) { return op.inputs[0] == known ? op.inputs[1] : op.inputs[0]; }

}  // namespace

int fuseRmsNorm(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                std::vector<const Accelerator*>& assignment) {
    using namespace schema;
    TensorUse use = tensorUse(subgraph);
    int folded = 0;
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        Op& squareOp = subgraph.ops[o];
        bool isSquare = isPlainOp(model, squareOp, BuiltinOperator_SQUARE, 1);
        bool isSelfMul = isPlainOp(model, squareOp, BuiltinOperator_MUL, 2) && squareOp.inputs[0] == squareOp.inputs[1] &&
                         hasNoActivation(squareOp);
        if (!isSquare && !isSelfMul) continue;
        int x = squareOp.inputs[0], squared = squareOp.outputs[0];
        if (!isStaticFloat(subgraph, x) || !isStaticFloat(subgraph, squared)) continue;
        const std::vector<int32_t>& shape = subgraph.tensors[static_cast<size_t>(x)].shape;
        if (shape.empty() || shape.back() <= 0 || subgraph.tensors[static_cast<size_t>(squared)].shape != shape) continue;
        std::vector<int32_t> reduced = shape;
        reduced.back() = 1;

        int meanOp = onlyPlainReader(model, subgraph, use, squared, BuiltinOperator_MEAN, 2);
        if (meanOp < 0) continue;
        const Op& mean = subgraph.ops[static_cast<size_t>(meanOp)];
        const auto* reducer = mean.options ? mean.options->builtin_options_as_ReducerOptions() : nullptr;
        if (mean.inputs[0] != squared || !reducer || !reducer->keep_dims() ||
            reducedAxis(subgraph, mean.inputs[1], static_cast<int>(shape.size())) != static_cast<int>(shape.size()) - 1)
            continue;
        int meanOut = mean.outputs[0];

        int addOp = onlyPlainReader(model, subgraph, use, meanOut, BuiltinOperator_ADD, 2);
        if (addOp < 0 || !hasNoActivation(subgraph.ops[static_cast<size_t>(addOp)])) continue;
        const Op& add = subgraph.ops[static_cast<size_t>(addOp)];
        int epsilon = otherInput(add, meanOut), shifted = add.outputs[0];
        if (!isConstantFloat(subgraph, epsilon, 1)) continue;

        int rsqrtOp = onlyPlainReader(model, subgraph, use, shifted, BuiltinOperator_RSQRT, 1);
        if (rsqrtOp < 0) continue;
        int inverse = subgraph.ops[static_cast<size_t>(rsqrtOp)].outputs[0];

        int normalizeOp = onlyPlainReader(model, subgraph, use, inverse, BuiltinOperator_MUL, 2);
        if (normalizeOp < 0 || !hasNoActivation(subgraph.ops[static_cast<size_t>(normalizeOp)])) continue;
        const Op& normalize = subgraph.ops[static_cast<size_t>(normalizeOp)];
        if (otherInput(normalize, inverse) != x) continue;
        int result = normalize.outputs[0];

        // An optional MUL by a constant [last dim] vector (the learned scale).
        int scale = -1, scaleOp = onlyPlainReader(model, subgraph, use, result, BuiltinOperator_MUL, 2);
        if (scaleOp >= 0) {
            const Op& scaleMul = subgraph.ops[static_cast<size_t>(scaleOp)];
            int other = otherInput(scaleMul, result);
            // D values along the last axis ([D], [1, D], ...), not along another.
            if (hasNoActivation(scaleMul) && isConstantFloat(subgraph, other, shape.back()) &&
                subgraph.tensors[static_cast<size_t>(other)].shape.size() <= shape.size() &&
                !subgraph.tensors[static_cast<size_t>(other)].shape.empty() &&
                subgraph.tensors[static_cast<size_t>(other)].shape.back() == shape.back() &&
                isStaticFloat(subgraph, scaleMul.outputs[0]) &&
                subgraph.tensors[static_cast<size_t>(scaleMul.outputs[0])].shape == shape) {
                scale = other;
                result = scaleMul.outputs[0];
            } else {
                scaleOp = -1;
            }
        }
        for (int t : {meanOut, shifted, inverse})
            if (!isStaticFloat(subgraph, t) || subgraph.tensors[static_cast<size_t>(t)].shape != reduced) result = -1;
        if (result < 0 || !isStaticFloat(subgraph, result) || subgraph.tensors[static_cast<size_t>(result)].shape != shape)
            continue;

        Op fusedOp = squareOp;
        fusedOp.inputs = {x, epsilon, scale};
        fusedOp.outputs = {result};
        fusedOp.fusedRmsNorm = true;
        // The square may have run on the reference (SQUARE often does): the
        // accelerator of the MUL by x may still take the whole chain.
        const Accelerator* chosen = nullptr;
        const KernelDef* kernel =
            fusedKernelOf(model, subgraph, fusedOp, {assignment[o], assignment[static_cast<size_t>(normalizeOp)]}, chosen);
        if (!kernel) continue;
        folded += placeFusedOp(subgraph, o, std::move(fusedOp), kernel, chosen, kernels, assignment,
                               {meanOp, addOp, rsqrtOp, normalizeOp, scaleOp});
        use.producer[static_cast<size_t>(result)] = static_cast<int>(o);
    }
    return folded;
}

}  // namespace litestudio
