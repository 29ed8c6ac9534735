#include "core/runtime/resize_convolution_swap.h"

#include <utility>

#include "core/runtime/fusion_matching.h"
#include "tflite_schema_generated.h"

namespace litestudio {

int swapResizeAndConvolution(const Model& model, Subgraph& subgraph, std::vector<const KernelDef*>& kernels,
                             std::vector<const Accelerator*>& assignment) {
    using namespace schema;
    TensorUse use = tensorUse(subgraph);
    int swapped = 0;
    for (size_t r = 0; r < subgraph.ops.size(); ++r) {
        const Op& resize = subgraph.ops[r];
        if (resize.fused || resize.folded || resize.fusedActivation >= 0 || model.opCode(resize).builtin != BuiltinOperator_RESIZE_BILINEAR ||
            resize.inputs.size() != 2 || resize.outputs.size() != 1 || !kernels[r] || !kernels[r]->fusesActivation)
            continue;
        const int x = resize.inputs[0], resized = resize.outputs[0];
        if (!isFeatureMap(subgraph, x) || !isFeatureMap(subgraph, resized) || subgraph.tensors[static_cast<size_t>(x)].shape.size() != 4)
            continue;
        const int c = use.reader[static_cast<size_t>(resized)];
        if (c < 0 || !kernels[static_cast<size_t>(c)]) continue;
        const Op& convolution = subgraph.ops[static_cast<size_t>(c)];
        const auto* options = convolution.options ? convolution.options->builtin_options_as_Conv2DOptions() : nullptr;
        if (convolution.fused || convolution.folded || model.opCode(convolution).builtin != BuiltinOperator_CONV_2D || !options ||
            options->stride_h() != 1 || options->stride_w() != 1 || convolution.inputs.size() < 2 || convolution.inputs[0] != resized ||
            convolution.inputs[1] < 0 ||
            convolution.outputs.size() != 1 || convolution.fusedPadding != std::array<int32_t, 4>{} ||
            !isFeatureMap(subgraph, convolution.outputs[0]))
            continue;
        // Every other input a constant: the convolution may then run earlier.
        bool constantOperands = true;
        for (size_t i = 1; i < convolution.inputs.size(); ++i)
            constantOperands &= convolution.inputs[i] < 0 || subgraph.tensors[static_cast<size_t>(convolution.inputs[i])].isConstant();
        const std::vector<int32_t>& filter = subgraph.tensors[static_cast<size_t>(convolution.inputs[1])].shape;
        const std::vector<int32_t>& xShape = subgraph.tensors[static_cast<size_t>(x)].shape;
        if (!constantOperands || filter.size() != 4 || filter[1] != 1 || filter[2] != 1 || filter[3] != xShape[3] || filter[0] >= filter[3])
            continue;

        litestudio::Tensor narrowed = subgraph.tensors[static_cast<size_t>(convolution.outputs[0])];
        narrowed.name += "/before_resize";
        narrowed.shape = {xShape[0], xShape[1], xShape[2], filter[0]};
        narrowed.shapeSignature = narrowed.shape;
        const int narrowedIndex = static_cast<int>(subgraph.tensors.size());
        subgraph.tensors.push_back(std::move(narrowed));

        Op early = convolution, late = resize;
        early.inputs[0] = x;
        early.outputs = {narrowedIndex};
        early.fusedActivation = ActivationFunctionType_NONE;
        late.inputs[0] = narrowedIndex;
        late.outputs = {convolution.outputs[0]};
        late.fusedActivation = convolution.fusedActivation >= 0 ? convolution.fusedActivation : options->fused_activation_function();
        early.sourceIndex = c;
        late.sourceIndex = static_cast<int>(r);
        subgraph.ops[r] = std::move(early);
        subgraph.ops[static_cast<size_t>(c)] = std::move(late);
        std::swap(kernels[r], kernels[static_cast<size_t>(c)]);
        std::swap(assignment[r], assignment[static_cast<size_t>(c)]);
        ++swapped;
    }
    return swapped;
}

}  // namespace litestudio
