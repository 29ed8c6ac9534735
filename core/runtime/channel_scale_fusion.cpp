#include "core/runtime/channel_scale_fusion.h"

#include "core/runtime/fusion_matching.h"
#include "tflite_schema_generated.h"

namespace litestudio {

namespace {

// Whether `scales` holds one value per image and channel of the feature
// map `map` ([N, H, W, C]): [N, 1, 1, C], or [1, 1, 1, C] for a batch of one.
bool scalesEachImageChannel(const Subgraph& subgraph, int scales, int map) {
    if (scales < 0 || !isStaticFloat(subgraph, scales)) return false;
    const std::vector<int32_t>& s = shapeOf(subgraph, scales);
    const std::vector<int32_t>& x = shapeOf(subgraph, map);
    return s.size() == 4 && x.size() == 4 && s[0] == x[0] && s[1] == 1 && s[2] == 1 && s[3] == x[3];
}

}  // namespace

int fuseChannelScales(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                      std::vector<const Accelerator*>& assignment) {
    using namespace schema;
    const TensorUse use = tensorUse(subgraph);
    int folded = 0;
    for (size_t k = 0; k < subgraph.ops.size(); ++k) {
        const Op& conv = subgraph.ops[k];
        if (!kernels[k] || !isUnfusedConvolution(model, conv)) continue;
        const int scaled = conv.inputs[0];
        if (!isStaticFloat(subgraph, scaled) || shapeOf(subgraph, scaled).size() != 4) continue;
        // MUL(x, s), read by this convolution alone, with no activation.
        const int m = plainProducerFor(model, subgraph, use, scaled, BuiltinOperator_MUL, 2, static_cast<int>(k));
        if (m < 0 || !hasNoActivation(subgraph.ops[static_cast<size_t>(m)])) continue;
        const Op& mul = subgraph.ops[static_cast<size_t>(m)];
        int x = -1, scales = -1;
        for (int i = 0; i < 2 && x < 0; ++i) {
            const int map = mul.inputs[static_cast<size_t>(i)], other = mul.inputs[static_cast<size_t>(1 - i)];
            if (map >= 0 && isStaticFloat(subgraph, map) && sameFeatureMapShape(subgraph, map, scaled) &&
                scalesEachImageChannel(subgraph, other, map))
                x = map, scales = other;
        }
        if (x < 0) continue;

        Op fusedOp = conv;
        fusedOp.inputs = {x, conv.inputs[1], conv.inputs.size() > 2 ? conv.inputs[2] : -1, conv.inputs.size() > 3 ? conv.inputs[3] : -1,
                          scales, -1};
        fusedOp.fusedInputAffine = true;
        fusedOp.inputAffineActivation = ActivationFunctionType_NONE;
        const Accelerator* chosen = nullptr;
        const KernelDef* kernel = fusedKernelOf(model, subgraph, fusedOp, {assignment[k]}, chosen);
        // Only a kernel that says it applies them: the others would read x as it is.
        if (!kernel || !kernel->fusesInputAffine) continue;
        folded += placeFusedOp(subgraph, k, std::move(fusedOp), kernel, chosen, kernels, assignment, {m});
    }
    return folded;
}

}  // namespace litestudio
