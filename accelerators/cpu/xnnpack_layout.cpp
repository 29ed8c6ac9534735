// XNNPACK-backed float32 kernels that move data rather than combine it:
// RESIZE_BILINEAR (with TFLite's three coordinate conventions) and
// DEPTH_TO_SPACE, both on NHWC tensors.

#include <xnnpack.h>

#include <algorithm>

#include "accelerators/cpu/xnnpack_kernels.h"
#include "accelerators/cpu/xnnpack_operator.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {


size_t dim(const RuntimeTensor& tensor, int axis) { return static_cast<size_t>(tensor.dim(axis)); }

// ---- RESIZE_BILINEAR ----
Status prepareResizeBilinear(KernelContext& context) {
    LS_RETURN_IF_ERROR(findReferenceKernel(schema::BuiltinOperator_RESIZE_BILINEAR)->prepare(context));
    const auto* options = context.op->options->builtin_options_as_ResizeBilinearOptions();
    // TFLite's conventions, as its XNNPACK delegate maps them: corners
    // aligned, half-pixel centres, or the legacy top-left sampling.
    uint32_t flags = 0;
    if (options && options->align_corners()) flags = XNN_FLAG_ALIGN_CORNERS;
    else if (!options || !options->half_pixel_centers()) flags = XNN_FLAG_TENSORFLOW_LEGACY_MODE;
    size_t channels = dim(context.input(0), 3);
    xnn_operator_t op = nullptr;
    LS_RETURN_IF_ERROR(checkXnnpack(context, "resize create", xnn_create_resize_bilinear2d_nhwc_f32(channels, channels, channels, flags, &op)));
    context.state = ownOperator(op);
    return Status::ok();
}

Status evalResizeBilinear(KernelContext& context) {
    LS_RETURN_IF_ERROR(reference::checkResizeAtRunTime(context));
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& out = context.output(0);
    LS_RETURN_IF_ERROR(checkXnnpack(context, "resize setup",
                             xnn_setup_resize_bilinear2d_nhwc_f32(operatorOf(context), dim(input, 0), dim(input, 1), dim(input, 2),
                                                                  dim(out, 1), dim(out, 2), input.as<float>(), out.as<float>(),
                                                                  poolOf(context))));
    LS_RETURN_IF_ERROR(checkXnnpack(context, "resize run", xnn_run_operator(operatorOf(context), poolOf(context))));
    // A folded RELU, or the activation of a 1x1 convolution that now runs
    // before the resize (core/runtime/resize_convolution_swap.h). Only
    // without AVX-512: float_resize_bilinear clamps as it writes.
    if (context.op->fusedActivation > schema::ActivationFunctionType_NONE) {
        const auto [low, high] = activationRange(context.op->fusedActivation);
        float* values = out.as<float>();
        for (int64_t i = 0, count = out.elementCount(); i < count; ++i) values[i] = std::min(std::max(values[i], low), high);
    }
    return Status::ok();
}

// ---- DEPTH_TO_SPACE ----
Status prepareDepthToSpace(KernelContext& context) {
    LS_RETURN_IF_ERROR(findReferenceKernel(schema::BuiltinOperator_DEPTH_TO_SPACE)->prepare(context));
    const auto* options = context.op->options->builtin_options_as_DepthToSpaceOptions();
    size_t outChannels = dim(context.output(0), 3), inChannels = dim(context.input(0), 3);
    xnn_operator_t op = nullptr;
    LS_RETURN_IF_ERROR(checkXnnpack(context, "depth-to-space create",
                             xnn_create_depth_to_space_nhwc_x32(outChannels, inChannels, outChannels,
                                                                static_cast<uint32_t>(options->block_size()), 0, &op)));
    context.state = ownOperator(op);
    return Status::ok();
}

Status evalDepthToSpace(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    LS_RETURN_IF_ERROR(checkXnnpack(context, "depth-to-space setup",
                             xnn_setup_depth_to_space_nhwc_x32(operatorOf(context), dim(input, 0), dim(input, 1), dim(input, 2),
                                                               input.data, context.output(0).data, poolOf(context))));
    return checkXnnpack(context, "depth-to-space run", xnn_run_operator(operatorOf(context), poolOf(context)));
}

}  // namespace

const KernelDef* floatLayoutKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef resize{
        .prepare = prepareResizeBilinear, .eval = evalResizeBilinear, .fusesActivation = true, .runsOutsideThreadSessions = true};
    static const KernelDef depthToSpace = xnnpackOperatorKernel(prepareDepthToSpace, evalDepthToSpace);
    if (op.inputs.empty() || op.inputs[0] < 0 || op.outputs.size() != 1) return nullptr;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    if (input.type != DataType::Float32 || output.type != DataType::Float32 || input.shape.size() != 4) return nullptr;
    switch (model.opCode(op).builtin) {
    case schema::BuiltinOperator_RESIZE_BILINEAR:
        return op.inputs.size() == 2 ? &resize : nullptr;
    case schema::BuiltinOperator_DEPTH_TO_SPACE: {
        const auto* options = op.options->builtin_options_as_DepthToSpaceOptions();
        return options && options->block_size() >= 2 ? &depthToSpace : nullptr;
    }
    default: return nullptr;
    }
}

}  // namespace litestudio::cpu
