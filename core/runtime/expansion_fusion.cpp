#include "core/runtime/expansion_fusion.h"

#include "core/runtime/fusion_matching.h"
#include "tflite_schema_generated.h"

namespace litestudio {

int expansionFeeding(const Model& model, const Subgraph& subgraph, const TensorUse& use, size_t o) {
    using namespace schema;
    const Op& depthwise = subgraph.ops[o];
    const int e = depthwise.inputs.empty() ? -1 : depthwise.inputs[0];
    if (e < 0 || use.reader[static_cast<size_t>(e)] != static_cast<int>(o) || !isStaticFloat(subgraph, e) || depthwise.outputs.empty() ||
        !isStaticFloat(subgraph, depthwise.outputs[0]))
        return -1;
    const int c = use.producer[static_cast<size_t>(e)];
    if (c < 0) return -1;
    const Op& expansion = subgraph.ops[static_cast<size_t>(c)];
    if (!isUntouched(model, expansion, BuiltinOperator_CONV_2D) || expansion.inputs.size() < 2 || expansion.outputs[0] != e ||
        expansion.fusedPadding != std::array<int32_t, 4>{})
        return -1;
    const auto* options = expansion.options->builtin_options_as_Conv2DOptions();
    const int x = expansion.inputs[0], filter = expansion.inputs[1];
    if (!options || options->stride_h() != 1 || options->stride_w() != 1 || x < 0 || filter < 0 || !isStaticFloat(subgraph, x) ||
        shapeOf(subgraph, x).size() != 4 || shapeOf(subgraph, filter).size() != 4 || shapeOf(subgraph, filter)[1] != 1 ||
        shapeOf(subgraph, filter)[2] != 1)
        return -1;
    return c;
}

void takeExpansion(Op& fusedOp, const Op& expansion) {
    const int x = expansion.inputs[0], filter = expansion.inputs[1];
    const int expansionBias = expansion.inputs.size() > 2 ? expansion.inputs[2] : -1;
    if (fusedOp.fusedSeparableBlock) {
        fusedOp.inputs[0] = x;
        fusedOp.inputs.resize(6, -1);  // input 5: the tensor added, or -1
        fusedOp.inputs.push_back(filter);
        fusedOp.inputs.push_back(expansionBias);
    } else {
        fusedOp.inputs = {x, fusedOp.inputs[1], fusedOp.inputs.size() > 2 ? fusedOp.inputs[2] : -1, filter, expansionBias};
    }
    fusedOp.fusedExpansion = true;
    fusedOp.expansionActivation = activationAfter(expansion, expansion.options->builtin_options_as_Conv2DOptions()->fused_activation_function());
}

int fuseExpansions(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                   std::vector<const Accelerator*>& assignment) {
    using namespace schema;
    TensorUse use = tensorUse(subgraph);
    int folded = 0;
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        const Op& depthwise = subgraph.ops[o];
        // A plain depthwise, or one a separable block fusion took.
        const bool block = depthwise.fusedSeparableBlock && !depthwise.fusedExpansion && !depthwise.fused &&
                           model.opCode(depthwise).builtin == BuiltinOperator_DEPTHWISE_CONV_2D && depthwise.inputs.size() >= 5;
        if ((!block && !isUntouched(model, depthwise, BuiltinOperator_DEPTHWISE_CONV_2D)) || depthwise.inputs.size() < 2) continue;
        const int c = expansionFeeding(model, subgraph, use, o);
        if (c < 0) continue;
        Op fusedOp = depthwise;
        takeExpansion(fusedOp, subgraph.ops[static_cast<size_t>(c)]);
        const Accelerator* chosen = nullptr;
        const KernelDef* kernel = fusedKernelOf(model, subgraph, fusedOp, {assignment[o], assignment[static_cast<size_t>(c)]}, chosen);
        if (!kernel) continue;
        folded += placeFusedOp(subgraph, o, std::move(fusedOp), kernel, chosen, kernels, assignment, {c});
    }
    return folded;
}

}  // namespace litestudio
