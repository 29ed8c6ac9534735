#include "core/runtime/resize_arg_max_fusion.h"

#include "core/runtime/fusion_matching.h"
#include "tflite_schema_generated.h"

namespace litestudio {

int fuseResizeArgMaxes(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                       std::vector<const Accelerator*>& assignment) {
    const TensorUse use = tensorUse(subgraph);
    int folded = 0;
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        const Op& resize = subgraph.ops[o];
        if (!isUntouched(model, resize, schema::BuiltinOperator_RESIZE_BILINEAR) || resize.inputs.size() != 2 || !kernels[o]) continue;
        const int u = resize.outputs[0];
        const int a = onlyPlainReader(model, subgraph, use, u, schema::BuiltinOperator_ARG_MAX, 2);
        if (a < 0) continue;
        const Op& argMax = subgraph.ops[static_cast<size_t>(a)];
        const std::vector<int32_t>& shape = shapeOf(subgraph, u);
        const std::vector<int64_t> axis = constantIntegers(subgraph, argMax.inputs[1]);
        if (argMax.inputs[0] != u || shape.size() != 4 || axis.size() != 1 || (axis[0] != 3 && axis[0] != -1)) continue;
        // The resize must not requantize: the indices are of the values it reads.
        const Tensor& x = subgraph.tensors[static_cast<size_t>(resize.inputs[0])];
        const Tensor& resized = subgraph.tensors[static_cast<size_t>(u)];
        if (x.type != resized.type || x.quantization.scales != resized.quantization.scales ||
            x.quantization.zeroPoints != resized.quantization.zeroPoints)
            continue;
        Op fusedOp = resize;
        fusedOp.outputs = {argMax.outputs[0]};
        fusedOp.fusedArgMax = true;
        const Accelerator* chosen = nullptr;
        const KernelDef* kernel = fusedKernelOf(model, subgraph, fusedOp, {assignment[o]}, chosen);
        if (!kernel) continue;
        folded += placeFusedOp(subgraph, o, std::move(fusedOp), kernel, chosen, kernels, assignment, {a});
    }
    return folded;
}

}  // namespace litestudio
