#include "accelerators/cpu/float_expanded_depthwise.h"

#include <pthreadpool.h>

#include <algorithm>
#include <climits>
#include <array>
#include <cstdint>
#include <memory>
#include <tuple>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/expansion_ring.h"
#include "accelerators/cpu/float_depthwise_convolution.h"
#include "accelerators/cpu/float_pointwise_convolution.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

struct ExpandedDepthwise {
    PointwiseWeights expansion;
    DepthwisePlan depthwise;  // over the 1x1's result: depthwise.inH x inW x channels
    RowBands bands;
    size_t ringFloats = 0;  // one band's ring
};

struct RunArguments {
    const ExpandedDepthwise* e;
    const float* input;
    float* output;
    float* rings;  // bands x ringFloats, 64-byte aligned
};

// Output rows [band * rowsPerBand, ...) in order, with the band's own ring.
void runBand(void* context, size_t band) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const ExpandedDepthwise& e = *arguments.e;
    const DepthwisePlan& d = e.depthwise;
    runBandRows(e.expansion, d, arguments.input, static_cast<int64_t>(band), e.bands.rowsPerBand, arguments.rings + band * e.ringFloats,
                [&](const InputRows& rows, int64_t row) { depthwiseRow(d, rows, arguments.output + row * d.outW * d.channels); });
}

Status prepareExpanded(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    if (input.rank() != 4 || input.type != DataType::Float32)
        return context.error("expects a float32 [batch, height, width, channels] input, got " + input.name);
    if (!context.hasInput(3)) return context.error("has no 1x1 filter (input 3)");
    const RuntimeTensor& pointwise = context.input(3);
    if (pointwise.rank() != 4 || pointwise.dim(1) != 1 || pointwise.dim(2) != 1 || pointwise.dim(3) != input.dim(3))
        return context.error("expects a 1x1 filter [out, 1, 1, " + std::to_string(input.dim(3)) + "], got " + pointwise.name + " " +
                             shapeText(pointwise.shape));
    const Op& op = *context.op;
    const auto* options = op.options->builtin_options_as_DepthwiseConv2DOptions();
    if (!options) return context.error("has no depthwise options");

    auto expanded = std::make_shared<ExpandedDepthwise>();
    ExpandedDepthwise& e = *expanded;
    LS_RETURN_IF_ERROR(packPointwiseWeights(context, pointwise, 4, e.expansion));
    std::tie(e.expansion.low, e.expansion.high) = activationRange(op.expansionActivation);
    e.expansion.epilogue = op.expansionEpilogue;
    DepthwisePlan& d = e.depthwise;
    d.batch = input.dim(0), d.inH = input.dim(1), d.inW = input.dim(2), d.channels = pointwise.dim(0);
    d.strideH = options->stride_h(), d.strideW = options->stride_w();
    LS_RETURN_IF_ERROR(packDepthwise(context, d));  // checks the filter, sets the kernel size
    PaddedPlane plane;
    LS_RETURN_IF_ERROR(
        paddedPlane(context, d.inH, d.inW, d.kernelSize, d.strideH, d.strideW, options->padding() == schema::Padding_SAME, plane));
    d.outH = plane.outH, d.outW = plane.outW, d.padTop = plane.padTop, d.padLeft = plane.padLeft;
    std::tie(d.low, d.high) = clampRange(context, options->fused_activation_function());
    d.epilogue = op.fusedEpilogue;

    if (double(d.kernelSize) * double(d.inW) * double(d.channels) > double(SIZE_MAX / 8))
        return context.error("rows of the 1x1's result exceed memory");
    e.ringFloats = ExpansionRing::floatsFor(d);
    LS_RETURN_IF_ERROR(splitIntoBands(context, d.batch * d.outH, e.ringFloats, e.bands));
    context.output(0).shape = {input.dim(0), static_cast<int32_t>(d.outH), static_cast<int32_t>(d.outW), static_cast<int32_t>(d.channels)};
    context.state = expanded;
    return Status::ok();
}

Status evalExpanded(KernelContext& context) {
    const auto& e = *static_cast<const ExpandedDepthwise*>(context.state.get());
    RunArguments arguments{&e, context.input(0).as<const float>(), context.output(0).as<float>(), bandScratch(context)};
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), runBand, &arguments, static_cast<size_t>(e.bands.bands));
    return Status::ok();
}

}  // namespace

const KernelDef* floatExpandedDepthwiseKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = prepareExpanded, .eval = evalExpanded};
    if (!cpuHasAvx512() || !op.fusedExpansion || op.fusedSeparableBlock ||
        model.opCode(op).builtin != schema::BuiltinOperator_DEPTHWISE_CONV_2D || op.inputs.size() != 5 || op.inputs[1] < 0 || op.outputs.size() != 1 || op.outputs[0] < 0)
        return nullptr;
    const auto* options = op.options ? op.options->builtin_options_as_DepthwiseConv2DOptions() : nullptr;
    if (!options || options->stride_h() < 1 || options->stride_h() > 2 || options->stride_w() < 1 || options->stride_w() > 2 ||
        options->dilation_h_factor() != 1 || options->dilation_w_factor() != 1 || options->depth_multiplier() > 1 ||
        !isClampActivation(options->fused_activation_function()))
        return nullptr;
    // Swishes (EfficientNet, MobileNetV3) after the 1x1 and the depthwise;
    // a PRELU would need its slopes as another input.
    for (Op::Epilogue epilogue : {op.expansionEpilogue, op.fusedEpilogue})
        if (epilogue != Op::Epilogue::None && epilogue != Op::Epilogue::Swish && epilogue != Op::Epilogue::HardSwish) return nullptr;
    const int64_t channels = expansionChannels(subgraph, op, 3);
    const Tensor& depthwise = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    if (channels < 0 || !isConstantFloat(depthwise) || !isFloatConstantOrAbsent(subgraph, op.inputs[2]) || depthwise.shape.size() != 4 ||
        depthwise.shape[0] != 1 || depthwise.shape[1] != depthwise.shape[2] || !depthwiseRowsRun(depthwise.shape[1], options->stride_w()) ||
        depthwise.shape[3] != channels)
        return nullptr;
    return &kernel;
}

}  // namespace litestudio::cpu
