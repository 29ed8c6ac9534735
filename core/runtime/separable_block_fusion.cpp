#include "core/runtime/separable_block_fusion.h"

#include "core/kernels/reference/kernel_util.h"
#include "core/runtime/expansion_fusion.h"
#include "core/runtime/fusion_matching.h"
#include "tflite_schema_generated.h"

namespace litestudio {

int fuseSeparableBlocks(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                        std::vector<const Accelerator*>& assignment) {
    using namespace schema;
    TensorUse use = tensorUse(subgraph);
    int folded = 0;
    for (size_t o = 0; o < subgraph.ops.size(); ++o) {
        Op& depthwise = subgraph.ops[o];
        if (!isUntouched(model, depthwise, BuiltinOperator_DEPTHWISE_CONV_2D) || depthwise.inputs.size() < 2) continue;
        const auto* depthwiseOptions = depthwise.options->builtin_options_as_DepthwiseConv2DOptions();
        int x = depthwise.inputs[0], d = depthwise.outputs[0];
        if (!depthwiseOptions || depthwiseOptions->stride_h() != depthwiseOptions->stride_w() || !isFloatOrQuantizedFeatureMap(subgraph, x) ||
            !isFloatOrQuantizedFeatureMap(subgraph, d) || shapeOf(subgraph, x).size() != 4)
            continue;
        // A block at stride 2 is taken whole, its expansion too, or not at
        // all: no kernel runs one without the other.
        const bool strided = depthwiseOptions->stride_w() == 2;
        if (!strided && (depthwiseOptions->stride_w() != 1 || !sameFeatureMapShape(subgraph, x, d))) continue;
        const int expansion = strided ? expansionFeeding(model, subgraph, use, o) : -1;
        if (strided && expansion < 0) continue;

        int c = use.reader[static_cast<size_t>(d)];
        if (c < 0) continue;
        const Op& pointwise = subgraph.ops[static_cast<size_t>(c)];
        if (!isUntouched(model, pointwise, BuiltinOperator_CONV_2D) || pointwise.inputs.size() < 2 || pointwise.inputs[0] != d ||
            pointwise.fusedPadding != std::array<int32_t, 4>{})
            continue;
        const auto* pointwiseOptions = pointwise.options->builtin_options_as_Conv2DOptions();
        int filter = pointwise.inputs[1], p = pointwise.outputs[0];
        if (!pointwiseOptions || pointwiseOptions->stride_h() != 1 || pointwiseOptions->stride_w() != 1 || filter < 0 ||
            shapeOf(subgraph, filter).size() != 4 || shapeOf(subgraph, filter)[1] != 1 || shapeOf(subgraph, filter)[2] != 1 ||
            !isFloatOrQuantizedFeatureMap(subgraph, p))
            continue;

        Op fusedOp = depthwise;
        fusedOp.inputs = {x, depthwise.inputs[1], depthwise.inputs.size() > 2 ? depthwise.inputs[2] : -1, filter,
                          pointwise.inputs.size() > 2 ? pointwise.inputs[2] : -1};
        fusedOp.outputs = {p};
        fusedOp.fusedSeparableBlock = true;
        fusedOp.depthwiseResult = d;
        fusedOp.pointwiseResult = p;
        fusedOp.pointwiseActivation = activationAfter(pointwise, pointwiseOptions->fused_activation_function());

        // ADD(r, p) of one shape: the residual, input 5. r is x or any tensor
        // ready before the depthwise runs (BlazeFace's blocks add the input
        // of the separable convolution before this one), or r = PAD(q)
        // widening q's channels with zeros, q so: the block adds q (its
        // channels, zeros past them) and the PAD goes too.
        int a = use.reader[static_cast<size_t>(p)], pad = -1;
        if (a >= 0) {
            const Op& add = subgraph.ops[static_cast<size_t>(a)];
            int r = !isUntouched(model, add, BuiltinOperator_ADD) || add.inputs.size() != 2 ? -1
                    : add.inputs[1] == p                                                    ? add.inputs[0]
                    : add.inputs[0] == p                                                    ? add.inputs[1]
                                                                                            : -1;
            const int narrower = r >= 0 && r != p ? channelPaddingInput(model, subgraph, use, r, pad) : -1;
            if (narrower >= 0 && isFloatOrQuantizedFeatureMap(subgraph, r) && sameFeatureMapShape(subgraph, r, p)) r = narrower;
            else pad = -1;
            const bool ready = r >= 0 && (r == x || use.producer[static_cast<size_t>(r)] < static_cast<int>(o));
            if (ready && r != p && isFloatOrQuantizedFeatureMap(subgraph, r) && (pad >= 0 || sameFeatureMapShape(subgraph, r, p)) &&
                isFloatOrQuantizedFeatureMap(subgraph, add.outputs[0]) && sameFeatureMapShape(subgraph, add.outputs[0], p)) {
                fusedOp.fusedResidual = true;
                fusedOp.residualActivation = activationAfter(add, reference::binaryActivation(*add.options));
                fusedOp.inputs.push_back(r);
                fusedOp.outputs = {add.outputs[0]};
            } else {
                a = -1, pad = -1;
            }
        }
        if (strided) takeExpansion(fusedOp, subgraph.ops[static_cast<size_t>(expansion)]);
        const Accelerator* chosen = nullptr;
        const KernelDef* kernel = fusedKernelOf(model, subgraph, fusedOp, {assignment[o], assignment[static_cast<size_t>(c)]}, chosen);
        if (!kernel) continue;
        folded += placeFusedOp(subgraph, o, std::move(fusedOp), kernel, chosen, kernels, assignment, {c, a, pad, expansion});
        use.producer[static_cast<size_t>(depthwise.outputs[0])] = static_cast<int>(o);
    }
    return folded;
}

}  // namespace litestudio
