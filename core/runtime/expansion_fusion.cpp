#include "core/runtime/expansion_fusion.h"

#include <array>

#include "core/runtime/fusion_matching.h"
#include "tflite_schema_generated.h"

namespace litestudio {

namespace {

// Op `c` is a 1x1 CONV_2D at stride 1, untouched by other fusions and with
// no padding folded into it, whose output is `e`.
bool isExpansion(const Model& model, const Subgraph& subgraph, int c, int e) {
    using namespace schema;
    if (c < 0) return false;
    const Op& expansion = subgraph.ops[static_cast<size_t>(c)];
    if (!isUntouched(model, expansion, BuiltinOperator_CONV_2D) || expansion.inputs.size() < 2 || expansion.outputs[0] != e ||
        expansion.fusedPadding != std::array<int32_t, 4>{})
        return false;
    const auto* options = expansion.options->builtin_options_as_Conv2DOptions();
    const int x = expansion.inputs[0], filter = expansion.inputs[1];
    return options && options->stride_h() == 1 && options->stride_w() == 1 && x >= 0 && filter >= 0 && isFloatOrQuantizedFeatureMap(subgraph, x) &&
           shapeOf(subgraph, x).size() == 4 && shapeOf(subgraph, filter).size() == 4 && shapeOf(subgraph, filter)[1] == 1 &&
           shapeOf(subgraph, filter)[2] == 1;
}

}  // namespace

int expansionFeeding(const Model& model, const Subgraph& subgraph, const TensorUse& use, size_t o) {
    const Op& depthwise = subgraph.ops[o];
    const int e = depthwise.inputs.empty() ? -1 : depthwise.inputs[0];
    if (e < 0 || use.reader[static_cast<size_t>(e)] != static_cast<int>(o) || !isFloatOrQuantizedFeatureMap(subgraph, e) || depthwise.outputs.empty() ||
        !isFloatOrQuantizedFeatureMap(subgraph, depthwise.outputs[0]))
        return -1;
    const int c = use.producer[static_cast<size_t>(e)];
    return isExpansion(model, subgraph, c, e) ? c : -1;
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
    fusedOp.expansionResult = expansion.outputs.empty() ? -1 : expansion.outputs[0];
    fusedOp.expansionActivation = activationAfter(expansion, expansion.options->builtin_options_as_Conv2DOptions()->fused_activation_function());
}

int fuseExpansions(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                   std::vector<const Accelerator*>& assignment) {
    using namespace schema;
    TensorUse use = tensorUse(subgraph);
    const std::vector<int> readerCount = readerCounts(subgraph);
    int folded = 0;
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        const Op& depthwise = subgraph.ops[o];
        // A plain depthwise, or one a separable block fusion took.
        const bool block = depthwise.fusedSeparableBlock && !depthwise.fusedExpansion && !depthwise.fused &&
                           model.opCode(depthwise).builtin == BuiltinOperator_DEPTHWISE_CONV_2D && depthwise.inputs.size() >= 5;
        if ((!block && !isUntouched(model, depthwise, BuiltinOperator_DEPTHWISE_CONV_2D)) || depthwise.inputs.size() < 2) continue;
        int c = expansionFeeding(model, subgraph, use, o);
        Op::Epilogue swish = Op::Epilogue::None;
        std::array<int, 2> swishOps{-1, -1};
        const int e = depthwise.inputs[0];
        if (c < 0 && !block && e >= 0 && use.reader[static_cast<size_t>(e)] == static_cast<int>(o) && !depthwise.outputs.empty() &&
            isFloatOrQuantizedFeatureMap(subgraph, depthwise.outputs[0])) {
            int p = -1;
            swish = swishMaking(model, subgraph, use, readerCount, e, p, swishOps);
            if (swish != Op::Epilogue::None && isExpansion(model, subgraph, use.producer[static_cast<size_t>(p)], p))
                c = use.producer[static_cast<size_t>(p)];
        }
        if (c < 0) continue;
        Op fusedOp = depthwise;
        takeExpansion(fusedOp, subgraph.ops[static_cast<size_t>(c)]);
        fusedOp.expansionEpilogue = swish;
        const Accelerator* chosen = nullptr;
        const KernelDef* kernel = fusedKernelOf(model, subgraph, fusedOp, {assignment[o], assignment[static_cast<size_t>(c)]}, chosen);
        if (!kernel) continue;
        folded += placeFusedOp(subgraph, o, std::move(fusedOp), kernel, chosen, kernels, assignment, {c, swishOps[0], swishOps[1]});
    }
    return folded;
}

}  // namespace litestudio
