#include "core/runtime/residual_add_fusion.h"

#include "core/kernels/reference/kernel_util.h"
#include "core/runtime/fusion_matching.h"
#include "tflite_schema_generated.h"

namespace litestudio {

int fuseResidualAdds(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                     std::vector<const Accelerator*>& assignment) {
    using namespace schema;
    TensorUse use = tensorUse(subgraph);
    int folded = 0;
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        Op& producer = subgraph.ops[o];
        const bool convolution = isUntouched(model, producer, BuiltinOperator_CONV_2D) && producer.inputs.size() >= 2 && producer.inputs.size() <= 3;
        const bool resize = isUntouched(model, producer, BuiltinOperator_RESIZE_BILINEAR) && producer.inputs.size() == 2;
        if ((!convolution && !resize) || !kernels[o]) continue;
        const int p = producer.outputs[0];
        const int a = use.reader[static_cast<size_t>(p)];
        if (a < 0 || !isFeatureMap(subgraph, p)) continue;
        const Op& add = subgraph.ops[static_cast<size_t>(a)];
        if (!isUntouched(model, add, BuiltinOperator_ADD) || add.inputs.size() != 2) continue;
        const int r = add.inputs[0] == p ? add.inputs[1] : add.inputs[1] == p ? add.inputs[0] : -1;
        if (r < 0 || r == p || !isFeatureMap(subgraph, r) || !sameFeatureMapShape(subgraph, r, p) || !isFeatureMap(subgraph, add.outputs[0]) ||
            !sameFeatureMapShape(subgraph, add.outputs[0], p))
            continue;
        // r = PAD(q) widening q's channels with zeros: the convolution adds
        // q where its kernel takes a narrower residual (the PAD goes too),
        // else r itself.
        int pad = -1;
        const int narrower = convolution ? channelPaddingInput(model, subgraph, use, r, pad) : -1;
        bool placed = false;
        for (const int residual : {narrower, r}) {
            // The residual must be ready when the producer runs: a subgraph
            // input or a tensor an earlier op wrote (a constant's data would do
            // too, but the kernels take activations).
            if (placed || residual < 0 || subgraph.tensors[static_cast<size_t>(residual)].isConstant() ||
                use.producer[static_cast<size_t>(residual)] >= static_cast<int>(o))
                continue;
            Op fusedOp = producer;
            // A convolution's residual is its input 3 (after a bias or -1), a resize's its input 2.
            if (convolution) fusedOp.inputs = {producer.inputs[0], producer.inputs[1], producer.inputs.size() > 2 ? producer.inputs[2] : -1, residual};
            else fusedOp.inputs = {producer.inputs[0], producer.inputs[1], residual};
            fusedOp.outputs = {add.outputs[0]};
            fusedOp.fusedResidual = true;
            fusedOp.residualActivation = add.fusedActivation >= 0 ? add.fusedActivation : reference::binaryActivation(*add.options);
            const Accelerator* chosen = nullptr;
            const KernelDef* kernel = fusedKernelOf(model, subgraph, fusedOp, {assignment[o]}, chosen);
            // Only a kernel that says it adds: the others would read the
            // op's own inputs and drop the residual.
            if (!kernel || !kernel->fusesResidual) continue;
            folded += placeFusedOp(subgraph, o, std::move(fusedOp), kernel, chosen, kernels, assignment, {a, residual == narrower ? pad : -1});
            placed = true;
        }
        if (!placed) continue;
        use.producer[static_cast<size_t>(producer.outputs[0])] = static_cast<int>(o);
        use.reader[static_cast<size_t>(p)] = -1;
    }
    return folded;
}

}  // namespace litestudio
