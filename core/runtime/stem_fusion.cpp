#include "core/runtime/stem_fusion.h"

#include "core/runtime/fusion_matching.h"
#include "tflite_schema_generated.h"

namespace litestudio {

namespace {

constexpr int32_t kMostImageChannels = 4;

// The stem CONV_2D whose output is op `o`'s input 0 and read by nothing
// else, or -1.
int stemFeeding(const Model& model, const Subgraph& subgraph, const TensorUse& use, size_t o) {
    using namespace schema;
    const Op& block = subgraph.ops[o];
    const int s = block.inputs.empty() ? -1 : block.inputs[0];
    if (s < 0 || use.reader[static_cast<size_t>(s)] != static_cast<int>(o) || !isFeatureMap(subgraph, s)) return -1;
    const int c = use.producer[static_cast<size_t>(s)];
    if (c < 0) return -1;
    const Op& stem = subgraph.ops[static_cast<size_t>(c)];
    // A PAD folded into it (Op::fusedPadding) goes with it.
    if (!isUntouched(model, stem, BuiltinOperator_CONV_2D) || stem.outputs[0] != s || stem.inputs.size() < 2) return -1;
    const auto* options = stem.options->builtin_options_as_Conv2DOptions();
    const int x = stem.inputs[0], filter = stem.inputs[1];
    if (!options || options->dilation_h_factor() != 1 || options->dilation_w_factor() != 1 || x < 0 || filter < 0 ||
        !isFeatureMap(subgraph, x) || shapeOf(subgraph, x).size() != 4 || shapeOf(subgraph, filter).size() != 4)
        return -1;
    const std::vector<int32_t>& shape = shapeOf(subgraph, filter);
    if (shape[1] != 3 || shape[2] != 3 || shape[3] < 1 || shape[3] > kMostImageChannels) return -1;
    return c;
}

}  // namespace

int fuseStems(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels, std::vector<const Accelerator*>& assignment) {
    using namespace schema;
    const TensorUse use = tensorUse(subgraph);
    int folded = 0;
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        const Op& block = subgraph.ops[o];
        if (!block.fusedSeparableBlock || block.fusedExpansion || block.fusedStem || block.fused ||
            block.fusedEpilogue != Op::Epilogue::None || model.opCode(block).builtin != BuiltinOperator_DEPTHWISE_CONV_2D ||
            block.inputs.size() < 5)
            continue;
        const int c = stemFeeding(model, subgraph, use, o);
        if (c < 0) continue;
        const Op& stem = subgraph.ops[static_cast<size_t>(c)];
        Op fusedOp = block;
        fusedOp.inputs[0] = stem.inputs[0];
        fusedOp.inputs.resize(6, -1);  // input 5: the tensor added, or -1
        fusedOp.inputs.push_back(stem.inputs[1]);
        fusedOp.inputs.push_back(stem.inputs.size() > 2 ? stem.inputs[2] : -1);
        fusedOp.fusedStem = true;
        fusedOp.stemOptions = stem.options;
        fusedOp.stemPadding = stem.fusedPadding;
        fusedOp.stemActivation = activationAfter(stem, stem.options->builtin_options_as_Conv2DOptions()->fused_activation_function());
        const Accelerator* chosen = nullptr;
        const KernelDef* kernel = fusedKernelOf(model, subgraph, fusedOp, {assignment[o], assignment[static_cast<size_t>(c)]}, chosen);
        if (!kernel) continue;
        folded += placeFusedOp(subgraph, o, std::move(fusedOp), kernel, chosen, kernels, assignment, {c});
    }
    return folded;
}

}  // namespace litestudio
