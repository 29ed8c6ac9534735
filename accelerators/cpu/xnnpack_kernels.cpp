// XNNPACK-backed kernels. Prepare computes shapes with the reference
// kernel's prepare, then creates the XNNPACK operator once (XNNPACK packs
// the weights); eval binds the current buffers and runs it.

#include <xnnpack.h>

#include <cmath>
#include <limits>

#include "accelerators/cpu/xnnpack_operator.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

std::vector<float> floats(const RuntimeTensor& tensor) {
    std::vector<float> values(static_cast<size_t>(tensor.elementCount()));
    reference::toFloats(tensor, values.data());
    return values;
}

struct ConvGeometry {
    bool depthwise = false;
    uint32_t padTop = 0, padBottom = 0, padLeft = 0, padRight = 0;
    uint32_t kernelH = 0, kernelW = 0, strideH = 1, strideW = 1, dilationH = 1, dilationW = 1;
    uint32_t groups = 1;
    size_t groupInput = 0, groupOutput = 0, inputChannels = 0, outputChannels = 0;
    schema::ActivationFunctionType activation = schema::ActivationFunctionType_NONE;
};

// `input` is input 0 as the convolution sees it: with any folded PAD.
Expected<ConvGeometry> geometry(const KernelContext& context, const RuntimeTensor& input) {
    ConvGeometry g;
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& out = context.output(0);
    if (const auto* o = context.op->options->builtin_options_as_Conv2DOptions()) {
        g.strideH = o->stride_h(), g.strideW = o->stride_w(), g.dilationH = o->dilation_h_factor(),
        g.dilationW = o->dilation_w_factor(), g.activation = o->fused_activation_function();
    } else if (const auto* d = context.op->options->builtin_options_as_DepthwiseConv2DOptions()) {
        g.depthwise = true;
        g.strideH = d->stride_h(), g.strideW = d->stride_w(), g.dilationH = d->dilation_h_factor(),
        g.dilationW = d->dilation_w_factor(), g.activation = d->fused_activation_function();
    } else {
        return context.error("has no convolution options");
    }
    if (context.op->fusedActivation >= 0) g.activation = static_cast<schema::ActivationFunctionType>(context.op->fusedActivation);
    g.kernelH = static_cast<uint32_t>(filter.dim(1));
    g.kernelW = static_cast<uint32_t>(filter.dim(2));
    auto pad = [](int in, int outSize, int kernel, int stride, int dilation, uint32_t& before, uint32_t& after) {
        int total = std::max(0, (outSize - 1) * stride + (kernel - 1) * dilation + 1 - in);
        before = static_cast<uint32_t>(total / 2);
        after = static_cast<uint32_t>(total - total / 2);
    };
    pad(input.dim(1), out.dim(1), filter.dim(1), int(g.strideH), int(g.dilationH), g.padTop, g.padBottom);
    pad(input.dim(2), out.dim(2), filter.dim(2), int(g.strideW), int(g.dilationW), g.padLeft, g.padRight);
    // A PAD folded into this op (the input here is the padded view).
    g.padTop += static_cast<uint32_t>(context.op->fusedPadding[0]);
    g.padBottom += static_cast<uint32_t>(context.op->fusedPadding[1]);
    g.padLeft += static_cast<uint32_t>(context.op->fusedPadding[2]);
    g.padRight += static_cast<uint32_t>(context.op->fusedPadding[3]);
    g.inputChannels = static_cast<size_t>(input.dim(3));
    g.outputChannels = static_cast<size_t>(out.dim(3));
    if (g.depthwise) {
        g.groups = static_cast<uint32_t>(input.dim(3));
        g.groupInput = 1;
        g.groupOutput = g.outputChannels / g.inputChannels;
    } else {
        g.groups = static_cast<uint32_t>(input.dim(3) / filter.dim(3));
        g.groupInput = static_cast<size_t>(filter.dim(3));
        g.groupOutput = g.outputChannels / g.groups;
    }
    return g;
}

Expected<ConvGeometry> prepareGeometry(KernelContext& context, const KernelDef& reference) {
    RuntimeTensor padded;
    LS_RETURN_IF_ERROR(prepareWithFoldedPadding(context, reference, padded));
    return geometry(context, padded);
}

schema::BuiltinOperator builtinOf(const KernelContext& context) {
    return static_cast<schema::BuiltinOperator>(context.model->opCode(*context.op).builtin);
}

// ---- float convolution ----
// XNNPACK's GEMM streams all packed weights once per block of 7 output
// rows, so weights larger than L2 come from L3 on every block: pose
// landmark heavy's 8x8 layers (272 <-> 1632 channels, 1.8 MB of weights)
// ran at 35-38 GMAC/s. Such a layer runs as slices of output channels, one
// XNNPACK operator each, writing into its channels of the whole output
// (XNNPACK's output pixel stride); each slice's weights stay in L2 over all
// rows: those twelve layers 9.2-10.3 -> 7.7-7.8 ms (slices of 64 KB to
// 512 KB measured alike; 256 KB keeps the operators few). Only when the
// input is smaller than the weights: every slice reads the whole input.
constexpr size_t kSliceWeightBytes = 256 * 1024;
constexpr size_t kSlicedAbove = 1024 * 1024;

struct SlicedConvolution {
    std::vector<std::shared_ptr<void>> operators;
    std::vector<size_t> firstChannel;  // per operator
};

Status prepareFloatConv(KernelContext& context) {
    auto g = prepareGeometry(context, *findReferenceKernel(builtinOf(context)));
    if (!g) return g.status();
    std::vector<float> weights = floats(context.input(1));
    std::vector<float> bias = context.hasInput(2) ? floats(context.input(2)) : std::vector<float>();
    auto [low, high] = activationRange(g->activation);
    const RuntimeTensor& input = context.input(0);
    const size_t perChannel = g->groupOutput ? weights.size() / g->outputChannels : 0;  // kernel x group input floats
    const size_t weightBytes = weights.size() * sizeof(float), inputBytes = static_cast<size_t>(input.elementCount()) * sizeof(float);
    size_t sliceChannels = g->outputChannels;
    if (!g->depthwise && g->groups == 1 && weightBytes > kSlicedAbove && inputBytes < weightBytes && perChannel > 0)
        sliceChannels = std::max<size_t>(16, kSliceWeightBytes / (perChannel * sizeof(float)) / 16 * 16);
    auto sliced = std::make_shared<SlicedConvolution>();
    for (size_t first = 0; first < g->outputChannels; first += sliceChannels) {
        const size_t channels = std::min(sliceChannels, g->outputChannels - first);
        const bool whole = channels == g->outputChannels;
        xnn_operator_t op = nullptr;
        xnn_status status = xnn_create_convolution2d_nhwc_f32(
            g->padTop, g->padRight, g->padBottom, g->padLeft, g->kernelH, g->kernelW, g->strideH, g->strideW, g->dilationH,
            g->dilationW, g->groups, g->groupInput, whole ? g->groupOutput : channels, g->inputChannels, g->outputChannels,
            weights.data() + first * perChannel, bias.empty() ? nullptr : bias.data() + first, low, high,
            g->depthwise ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0, &op);
        LS_RETURN_IF_ERROR(checkXnnpack(context, "convolution create", status));
        sliced->operators.push_back(ownOperator(op));
        sliced->firstChannel.push_back(first);
    }
    context.state = sliced;
    return Status::ok();
}

Status evalFloatConv(KernelContext& context) {
    const auto& sliced = *static_cast<const SlicedConvolution*>(context.state.get());
    const RuntimeTensor& input = context.input(0);
    pthreadpool_t pool = poolOf(context);
    for (size_t i = 0; i < sliced.operators.size(); ++i) {
        auto* op = static_cast<xnn_operator_t>(sliced.operators[i].get());
        xnn_status status = xnn_setup_convolution2d_nhwc_f32(op, static_cast<size_t>(input.dim(0)), static_cast<size_t>(input.dim(1)),
                                                             static_cast<size_t>(input.dim(2)), input.as<float>(),
                                                             context.output(0).as<float>() + sliced.firstChannel[i], pool);
        LS_RETURN_IF_ERROR(checkXnnpack(context, "convolution setup", status));
        LS_RETURN_IF_ERROR(checkXnnpack(context, "convolution run", xnn_run_operator(op, pool)));
    }
    return Status::ok();
}

Status evalQuantizedConv(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    pthreadpool_t pool = poolOf(context);
    xnn_status status;
    if (input.type == DataType::UInt8)
        status = xnn_setup_convolution2d_nhwc_qu8(operatorOf(context), static_cast<size_t>(input.dim(0)),
                                                  static_cast<size_t>(input.dim(1)), static_cast<size_t>(input.dim(2)),
                                                  input.as<uint8_t>(), context.output(0).as<uint8_t>(), pool);
    else
        status = xnn_setup_convolution2d_nhwc_qc8(operatorOf(context), static_cast<size_t>(input.dim(0)),
                                                  static_cast<size_t>(input.dim(1)), static_cast<size_t>(input.dim(2)),
                                                  input.as<int8_t>(), context.output(0).as<int8_t>(), pool);
    LS_RETURN_IF_ERROR(checkXnnpack(context, "convolution setup", status));
    status = xnn_run_operator(operatorOf(context), pool);
    LS_RETURN_IF_ERROR(checkXnnpack(context, "convolution run", status));
    return Status::ok();
}

// ---- uint8 / int8 convolution ----
Status prepareQuantizedConv(KernelContext& context) {
    auto g = prepareGeometry(context, *findReferenceKernel(builtinOf(context)));
    if (!g) return g.status();
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    const RuntimeTensor& out = context.output(0);
    const int32_t* bias = context.hasInput(2) ? context.input(2).as<int32_t>() : nullptr;
    // The quantized activation range, as the reference Requantizer computes
    // it. XNNPACK refuses an empty or one-value range (a uint8 RELU with
    // output zero point 255): the model then fails to compile on cpu with
    // XNNPACK's error, though the reference would run it.
    const auto range = reference::quantizedActivationRange(out, static_cast<schema::ActivationFunctionType>(g->activation));
    const int32_t low = range.low, high = range.high;
    xnn_operator_t op = nullptr;
    xnn_status status;
    uint32_t flags = g->depthwise ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0;
    if (input.type == DataType::UInt8) {
        status = xnn_create_convolution2d_nhwc_qu8(
            g->padTop, g->padRight, g->padBottom, g->padLeft, g->kernelH, g->kernelW, g->strideH, g->strideW,
            g->dilationH, g->dilationW, g->groups, g->groupInput, g->groupOutput, g->inputChannels, g->outputChannels,
            static_cast<uint8_t>(input.zeroPoint()), input.scale(), static_cast<uint8_t>(filter.zeroPoint()),
            filter.scale(), filter.as<uint8_t>(), bias, static_cast<uint8_t>(out.zeroPoint()), out.scale(),
            static_cast<uint8_t>(low), static_cast<uint8_t>(high), flags, &op);
    } else {
        std::vector<float> scales(g->outputChannels, filter.scale());
        if (filter.quantization->scales.size() == g->outputChannels) scales = filter.quantization->scales;
        status = xnn_create_convolution2d_nhwc_qc8(
            g->padTop, g->padRight, g->padBottom, g->padLeft, g->kernelH, g->kernelW, g->strideH, g->strideW,
            g->dilationH, g->dilationW, g->groups, g->groupInput, g->groupOutput, g->inputChannels, g->outputChannels,
            static_cast<int8_t>(input.zeroPoint()), input.scale(), scales.data(), filter.as<int8_t>(), bias,
            static_cast<int8_t>(out.zeroPoint()), out.scale(), static_cast<int8_t>(low), static_cast<int8_t>(high), flags,
            &op);
    }
    LS_RETURN_IF_ERROR(checkXnnpack(context, "quantized convolution create", status));
    context.state = ownOperator(op);
    return Status::ok();
}

// ---- float fully connected ----
Status prepareFloatFullyConnected(KernelContext& context) {
    LS_RETURN_IF_ERROR(findReferenceKernel(schema::BuiltinOperator_FULLY_CONNECTED)->prepare(context));
    context.scratchBytes = 0;
    const RuntimeTensor& weights = context.input(1);
    std::vector<float> kernel = floats(weights);
    std::vector<float> bias = context.hasInput(2) ? floats(context.input(2)) : std::vector<float>();
    const auto* options = context.op->options->builtin_options_as_FullyConnectedOptions();
    auto [low, high] = activationRange(options ? options->fused_activation_function() : schema::ActivationFunctionType_NONE);
    size_t units = static_cast<size_t>(weights.dim(0)), depth = static_cast<size_t>(weights.dim(1));
    xnn_operator_t op = nullptr;
    xnn_status status = xnn_create_fully_connected_nc_f32(depth, units, depth, units, kernel.data(),
                                                          bias.empty() ? nullptr : bias.data(), low, high, 0, &op);
    LS_RETURN_IF_ERROR(checkXnnpack(context, "fully connected create", status));
    context.state = ownOperator(op);
    return Status::ok();
}

// Runs the fully connected operator over input 0 as rows of `depth` values.
Status runFullyConnected(KernelContext& context, int64_t depth) {
    const RuntimeTensor& input = context.input(0);
    pthreadpool_t pool = poolOf(context);
    const size_t batch = static_cast<size_t>(input.elementCount() / depth);
    xnn_status status = xnn_setup_fully_connected_nc_f32(operatorOf(context), batch, input.as<float>(),
                                                         context.output(0).as<float>(), pool);
    LS_RETURN_IF_ERROR(checkXnnpack(context, "fully connected setup", status));
    return checkXnnpack(context, "fully connected run", xnn_run_operator(operatorOf(context), pool));
}

Status evalFloatFullyConnected(KernelContext& context) { return runFullyConnected(context, context.input(1).dim(1)); }

// ---- BATCH_MATMUL with constant right-hand side: a fully connected layer ----
// x [..., M, K] · w [K, N] (or [N, K] with adj_y) for every leading index
// of x: XNNPACK's GEMM over all rows, weights packed once (a JAX feed-
// forward's [64, 128] x [128, 512]: 0.41 -> 0.07 ms against our attention
// kernel, which repacks nothing and streams w per row block).
Status prepareFloatConstantBatchMatmul(KernelContext& context) {
    LS_RETURN_IF_ERROR(findReferenceKernel(schema::BuiltinOperator_BATCH_MATMUL)->prepare(context));
    context.scratchBytes = 0;
    const RuntimeTensor& weights = context.input(1);
    if (weights.rank() < 2 || weights.elementCount() != int64_t(weights.dim(weights.rank() - 2)) * weights.dim(weights.rank() - 1))
        return context.error("expects constant weights with one matrix, got " + shapeText(weights.shape));
    const auto* options = context.op->options->builtin_options_as_BatchMatMulOptions();
    const bool adjoint = options && options->adj_y();
    const size_t rows = static_cast<size_t>(weights.dim(weights.rank() - 2)), columns = static_cast<size_t>(weights.dim(weights.rank() - 1));
    const size_t depth = adjoint ? columns : rows, units = adjoint ? rows : columns;
    std::vector<float> kernel = floats(weights);
    const float infinity = std::numeric_limits<float>::infinity();
    xnn_operator_t op = nullptr;
    xnn_status status = xnn_create_fully_connected_nc_f32(depth, units, depth, units, kernel.data(), nullptr, -infinity, infinity,
                                                          adjoint ? 0 : XNN_FLAG_TRANSPOSE_WEIGHTS, &op);
    LS_RETURN_IF_ERROR(checkXnnpack(context, "batch matmul create", status));
    context.state = ownOperator(op);
    return Status::ok();
}

Status evalFloatConstantBatchMatmul(KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    return runFullyConnected(context, input.dim(input.rank() - 1));
}

}  // namespace

const KernelDef* floatConstantBatchMatmulKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel = xnnpackOperatorKernel(prepareFloatConstantBatchMatmul, evalFloatConstantBatchMatmul);
    if (model.opCode(op).builtin != schema::BuiltinOperator_BATCH_MATMUL || op.inputs.size() != 2 || op.inputs[0] < 0 ||
        op.inputs[1] < 0 || op.outputs.size() != 1)
        return nullptr;
    const Tensor& x = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& w = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    const Tensor& y = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    const auto* options = op.options ? op.options->builtin_options_as_BatchMatMulOptions() : nullptr;
    if (x.type != DataType::Float32 || y.type != DataType::Float32 || (options && options->adj_x()) || x.shape.size() < 2 ||
        !w.isConstant() || w.isSparse || (w.type != DataType::Float32 && w.type != DataType::Float16) || w.shape.size() < 2)
        return nullptr;
    for (size_t d = 0; d + 2 < w.shape.size(); ++d)
        if (w.shape[d] != 1) return nullptr;  // one weight matrix for every batch
    return &kernel;
}

Status prepareWithFoldedPadding(KernelContext& context, const KernelDef& reference, RuntimeTensor& padded) {
    padded = context.input(0);
    const auto& pads = context.op->fusedPadding;
    if (padded.rank() == 4) {
        padded.shape[1] += pads[0] + pads[1];
        padded.shape[2] += pads[2] + pads[3];
    }
    RuntimeTensor* original = context.inputs[0];
    context.inputs[0] = &padded;
    Status prepared = reference.prepare(context);
    context.inputs[0] = original;
    context.scratchBytes = 0;
    return prepared;
}

std::pair<float, float> clampRange(const KernelContext& context, int ownActivation) {
    return activationRange(context.op->fusedActivation >= 0 ? context.op->fusedActivation : ownActivation);
}

std::pair<float, float> activationRange(int activation) {
    const float infinity = std::numeric_limits<float>::infinity();
    switch (activation) {
    case schema::ActivationFunctionType_RELU: return {0.0f, infinity};
    case schema::ActivationFunctionType_RELU6: return {0.0f, 6.0f};
    case schema::ActivationFunctionType_RELU_N1_TO_1: return {-1.0f, 1.0f};
    default: return {-infinity, infinity};
    }
}

const KernelDef& floatConvolutionKernel() {
    static const KernelDef kernel{.prepare = prepareFloatConv,
                                  .eval = evalFloatConv,
                                  .fusesInputPadding = true,
                                  .fusesActivation = true,
                                  .runsOutsideThreadSessions = true};
    return kernel;
}

const KernelDef& quantizedConvolutionKernel() {
    static const KernelDef kernel{
        .prepare = prepareQuantizedConv, .eval = evalQuantizedConv, .fusesInputPadding = true, .fusesActivation = true,
        .runsOutsideThreadSessions = true};
    return kernel;
}

const KernelDef& floatFullyConnectedKernel() {
    static const KernelDef kernel = xnnpackOperatorKernel(prepareFloatFullyConnected, evalFloatFullyConnected);
    return kernel;
}

}  // namespace litestudio::cpu
