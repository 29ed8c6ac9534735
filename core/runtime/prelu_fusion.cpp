#include "core/runtime/prelu_fusion.h"

#include "core/runtime/fusion_matching.h"
#include "tflite_schema_generated.h"

namespace litestudio {

namespace {

// Slopes that PRELU broadcasts along the last axis only: `channels` values,
// every other dimension 1.
bool isPerChannelSlopes(const Subgraph& subgraph, int tensor, int64_t channels) {
    if (!isConstantFloat(subgraph, tensor, channels)) return false;
    const std::vector<int32_t>& shape = shapeOf(subgraph, tensor);
    for (size_t d = 0; d + 1 < shape.size(); ++d)
        if (shape[d] != 1) return false;
    return shape.empty() ? channels == 1 : shape.back() == channels;
}

}  // namespace

int fusePrelus(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels, std::vector<const Accelerator*>& assignment) {
    TensorUse use = tensorUse(subgraph);
    int folded = 0;
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        const Op& prelu = subgraph.ops[o];
        if (prelu.fused || prelu.folded || model.opCode(prelu).builtin != schema::BuiltinOperator_PRELU || prelu.outputs.size() != 1 ||
            prelu.outputs[0] < 0 || prelu.inputs.size() != (prelu.fusedAddend ? 3u : 2u) || prelu.inputs[0] < 0 || prelu.inputs[1] < 0)
            continue;
        // The operand a convolution makes; with a folded ADD, either one,
        // the other becoming the convolution's residual.
        int p = -1, residual = -1;
        for (int side : prelu.fusedAddend ? std::vector<int>{0, 2} : std::vector<int>{0}) {
            const int candidate = prelu.inputs[static_cast<size_t>(side)];
            const int producer = candidate >= 0 ? use.producer[static_cast<size_t>(candidate)] : -1;
            if (producer < 0 || use.reader[static_cast<size_t>(candidate)] != static_cast<int>(o) ||
                !takesFusedEpilogue(model, subgraph.ops[static_cast<size_t>(producer)]))
                continue;
            // The fused op runs in the PRELU's place, where the other operand is ready.
            const int other = prelu.fusedAddend ? prelu.inputs[side == 0 ? 2u : 0u] : -1;
            if (other >= 0 && (other == candidate || subgraph.tensors[static_cast<size_t>(other)].isConstant())) continue;
            p = candidate, residual = other;
            break;
        }
        if (p < 0 || !isFeatureMap(subgraph, p) || !isFeatureMap(subgraph, prelu.outputs[0]) ||
            !sameFeatureMapShape(subgraph, prelu.outputs[0], p) || shapeOf(subgraph, p).empty() ||
            (residual >= 0 && (!isFeatureMap(subgraph, residual) || !sameFeatureMapShape(subgraph, residual, p))) ||
            !isPerChannelSlopes(subgraph, prelu.inputs[1], shapeOf(subgraph, p).back()))
            continue;
        const size_t c = static_cast<size_t>(use.producer[static_cast<size_t>(p)]);
        // residual = PAD(q) widening q's channels with zeros: the op adds q.
        int pad = -1;
        if (residual >= 0) {
            const int narrower = channelPaddingInput(model, subgraph, use, residual, pad);
            if (narrower >= 0) residual = narrower;
        }
        Op fusedOp = subgraph.ops[c];
        if (residual >= 0) {
            if (fusedOp.fusedResidual) continue;  // one ADD already
            fusedOp.fusedResidual = true;
            fusedOp.residualActivation = schema::ActivationFunctionType_NONE;
            if (fusedOp.fusedSeparableBlock && fusedOp.fusedExpansion) {
                fusedOp.inputs[5] = residual;  // the expansion's filter and bias follow
            } else if (fusedOp.fusedSeparableBlock) {
                fusedOp.inputs.push_back(residual);
            } else {
                if (model.opCode(fusedOp).builtin != schema::BuiltinOperator_CONV_2D) continue;  // a depthwise adds nothing
                fusedOp.inputs.resize(3, -1);
                fusedOp.inputs.push_back(residual);
            }
        } else if (!fusedOp.fusedSeparableBlock && !fusedOp.fusedResidual) {
            fusedOp.inputs.resize(3, -1);  // [x, filter, bias or -1]: the slopes never pass for a bias
        }
        fusedOp.inputs.push_back(prelu.inputs[1]);
        fusedOp.outputs = {prelu.outputs[0]};
        fusedOp.fusedEpilogue = Op::Epilogue::Prelu;
        const Accelerator* chosen = nullptr;
        const KernelDef* kernel = fusedKernelOf(model, subgraph, fusedOp, {assignment[c]}, chosen);
        if (!kernel) continue;
        // In the PRELU's place: the convolution's inputs were ready before,
        // and nothing between reads its result (the PRELU was its only reader).
        folded += placeFusedOp(subgraph, o, std::move(fusedOp), kernel, chosen, kernels, assignment, {static_cast<int>(c), pad});
    }
    return folded;
}

}  // namespace litestudio
