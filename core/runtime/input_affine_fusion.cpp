#include "core/runtime/input_affine_fusion.h"

#include "core/kernels/reference/kernel_util.h"
#include "core/runtime/fusion_matching.h"
#include "tflite_schema_generated.h"

namespace litestudio {

namespace {

// A constant float32 tensor of one value per channel of `channels`: shape
// [C] or [1, ..., 1, C], which broadcasts along the last axis only.
bool isPerChannel(const Subgraph& subgraph, int tensor, int32_t channels) {
    if (!isConstantFloat(subgraph, tensor, channels)) return false;
    const std::vector<int32_t>& shape = shapeOf(subgraph, tensor);
    if (shape.empty() || shape.back() != channels) return false;
    for (size_t i = 0; i + 1 < shape.size(); ++i)
        if (shape[i] != 1) return false;
    return true;
}

// Where `op` (a MUL or an ADD) combines a feature map of `channels`
// channels with a per-channel constant: the feature map, and `constant`
// the other. Else -1.
int featureMapBeside(const Subgraph& subgraph, const Op& op, int32_t channels, int& constant) {
    for (int i = 0; i < 2; ++i) {
        const int map = op.inputs[static_cast<size_t>(i)], other = op.inputs[static_cast<size_t>(1 - i)];
        if (map >= 0 && isFeatureMap(subgraph, map) && !subgraph.tensors[static_cast<size_t>(map)].isConstant() &&
            isPerChannel(subgraph, other, channels)) {
            constant = other;
            return map;
        }
    }
    constant = -1;
    return -1;
}

bool isClamp(int activation) {
    using namespace schema;
    return activation == ActivationFunctionType_NONE || activation == ActivationFunctionType_RELU ||
           activation == ActivationFunctionType_RELU6 || activation == ActivationFunctionType_RELU_N1_TO_1;
}

}  // namespace

int fuseInputAffines(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                     std::vector<const Accelerator*>& assignment) {
    using namespace schema;
    const TensorUse use = tensorUse(subgraph);
    int folded = 0;
    for (size_t k = 0; k < subgraph.ops.size(); ++k) {
        const Op& conv = subgraph.ops[k];
        if (!kernels[k] || !isUnfusedConvolution(model, conv) || conv.fusedResidual) continue;
        const int shifted = conv.inputs[0];
        const std::vector<int32_t>& shape = shapeOf(subgraph, shifted);
        if (shape.size() != 4 || !isFeatureMap(subgraph, shifted)) continue;
        const int32_t channels = shape[3];
        // ADD(m, b), read by this convolution alone, its activation a clamp.
        const int a = use.producer[static_cast<size_t>(shifted)];
        if (a < 0 || use.reader[static_cast<size_t>(shifted)] != static_cast<int>(k)) continue;
        const Op& add = subgraph.ops[static_cast<size_t>(a)];
        if (add.fused || add.folded || model.opCode(add).builtin != BuiltinOperator_ADD || add.inputs.size() != 2 || add.outputs.size() != 1 ||
            !add.options)
            continue;
        const int activation = activationAfter(add, reference::binaryActivation(*add.options));
        int shift = -1;
        const int scaled = featureMapBeside(subgraph, add, channels, shift);
        if (scaled < 0 || !isClamp(activation) || !sameFeatureMapShape(subgraph, scaled, shifted)) continue;
        // MUL(x, s), read by the ADD alone, with no activation.
        const int m = plainProducerFor(model, subgraph, use, scaled, BuiltinOperator_MUL, 2, a);
        if (m < 0 || !hasNoActivation(subgraph.ops[static_cast<size_t>(m)])) continue;
        const Op& mul = subgraph.ops[static_cast<size_t>(m)];
        int scale = -1;
        const int x = featureMapBeside(subgraph, mul, channels, scale);
        if (x < 0 || !sameFeatureMapShape(subgraph, x, scaled)) continue;

        Op fusedOp = conv;
        fusedOp.inputs = {x, conv.inputs[1], conv.inputs.size() > 2 ? conv.inputs[2] : -1, -1, scale, shift};
        fusedOp.fusedInputAffine = true;
        fusedOp.inputAffineActivation = activation;
        const Accelerator* chosen = nullptr;
        const KernelDef* kernel = fusedKernelOf(model, subgraph, fusedOp, {assignment[k]}, chosen);
        // Only a kernel that says it applies them: the others would read x as it is.
        if (!kernel || !kernel->fusesInputAffine) continue;
        folded += placeFusedOp(subgraph, k, std::move(fusedOp), kernel, chosen, kernels, assignment, {m, a});
    }
    return folded;
}

}  // namespace litestudio
