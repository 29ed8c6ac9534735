#include "accelerators/cpu/quantized_inverted_residual.h"

#include <pthreadpool.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>

#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/expansion_ring.h"
#include "accelerators/cpu/quantized_depthwise_convolution.h"
#include "accelerators/cpu/quantized_elementwise.h"
#include "accelerators/cpu/thread_session.h"
#include "accelerators/cpu/vnni_pointwise_convolution.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

// The fused op's inputs (core/graph/model.h, Op::fusedSeparableBlock).
constexpr size_t kDepthwiseFilter = 1, kDepthwiseBias = 2, kPointwiseFilter = 3, kPointwiseBias = 4, kResidual = 5,
                 kExpansionFilter = 6, kExpansionBias = 7;
constexpr int kMostKernelRows = 8;
constexpr int64_t kLine = 64;

int64_t wholeLines(int64_t bytes) { return (bytes + kLine - 1) / kLine * kLine; }

struct Block {
    std::shared_ptr<const VnniPointwise> expansion;  // null: the depthwise reads x
    std::shared_ptr<const QuantizedDepthwise> depthwise;
    std::shared_ptr<const VnniPointwise> pointwise;
    std::shared_ptr<const QuantizedSum> residual;  // null: no ADD
    int64_t batch = 1, inH = 0, inW = 0, inChannels = 0, expanded = 0, outH = 0, outW = 0, outChannels = 0;
    int kernelH = 1, strideH = 1, padTop = 0;
    RowBands bands;
    // A band's scratch, in bytes from its start: the ring of kernelH rows
    // of e, a row of d, a row of p (when an ADD follows).
    int64_t ringBytes = 0, depthwiseRowAt = 0, pointwiseRowAt = 0, bandBytes = 0;
};

struct RunArguments {
    const Block* block;
    const uint8_t* input;
    const uint8_t* added;  // the residual's tensor, or null
    uint8_t* output;
    uint8_t* scratch;      // bands x bandBytes, 64-byte aligned
};

void runBand(void* context, size_t band) {
    const auto& arguments = *static_cast<const RunArguments*>(context);
    const Block& b = *arguments.block;
    uint8_t* scratch = arguments.scratch + static_cast<int64_t>(band) * b.bandBytes;
    uint8_t* ring = scratch;
    uint8_t* depthwiseRow = scratch + b.depthwiseRowAt;
    uint8_t* pointwiseRow = scratch + b.pointwiseRowAt;
    const int64_t inputRowBytes = b.inW * b.inChannels, ringRowBytes = b.inW * b.expanded, outputRowBytes = b.outW * b.outChannels;
    int64_t slotHolds[kMostKernelRows];
    const uint8_t* rows[kMostKernelRows];
    const int64_t first = static_cast<int64_t>(band) * b.bands.rowsPerBand, end = std::min(b.batch * b.outH, first + b.bands.rowsPerBand);
    int64_t image = -1;
    const uint8_t* input = nullptr;
    for (int64_t row = first; row < end; ++row) {
        const int64_t oy = row % b.outH;
        if (row / b.outH != image) {
            image = row / b.outH;
            input = arguments.input + image * b.inH * inputRowBytes;
            std::fill(slotHolds, slotHolds + kMostKernelRows, -1);
        }
        for (int ky = 0; ky < b.kernelH; ++ky) {
            const int64_t iy = oy * b.strideH - b.padTop + ky;
            if (iy < 0 || iy >= b.inH) {
                rows[ky] = nullptr;
            } else if (!b.expansion) {
                rows[ky] = input + iy * inputRowBytes;
            } else {
                // Row iy lives in slot iy % kernelH: the kernelH rows one output row reads never share one.
                const int64_t slot = iy % b.kernelH;
                uint8_t* at = ring + slot * ringRowBytes;
                if (slotHolds[slot] != iy) {
                    runVnniPointwise(*b.expansion, input + iy * inputRowBytes, b.inW, at);
                    slotHolds[slot] = iy;
                }
                rows[ky] = at;
            }
        }
        runQuantizedDepthwiseRow(*b.depthwise, rows, depthwiseRow);
        uint8_t* output = arguments.output + row * outputRowBytes;
        if (!b.residual) {
            runVnniPointwise(*b.pointwise, depthwiseRow, b.outW, output);
            continue;
        }
        runVnniPointwise(*b.pointwise, depthwiseRow, b.outW, pointwiseRow);
        runQuantizedSum(*b.residual, pointwiseRow, arguments.added + row * outputRowBytes, output, outputRowBytes);
    }
}

// A view of tensor `index` of the subgraph for the packing functions:
// its type, declared shape and quantization (no data).
RuntimeTensor viewOf(const Subgraph& subgraph, int index) {
    const Tensor& tensor = subgraph.tensors[static_cast<size_t>(index)];
    RuntimeTensor view;
    view.name = tensor.name;
    view.type = tensor.type;
    view.shape = tensor.shape;
    view.quantization = &tensor.quantization;
    return view;
}

int activationOrNone(int activation) { return activation >= 0 ? activation : schema::ActivationFunctionType_NONE; }

Status prepareBlock(KernelContext& context) {
    const Op& op = *context.op;
    const Subgraph& subgraph = context.model->subgraphs[static_cast<size_t>(context.subgraph)];
    const RuntimeTensor& input = context.input(0);
    if (input.rank() != 4) return context.error("expects images [batch, height, width, channels], got " + shapeText(input.shape));
    const auto* options = op.options->builtin_options_as_DepthwiseConv2DOptions();
    auto packed = std::make_shared<Block>();
    Block& b = *packed;
    b.batch = input.dim(0), b.inH = input.dim(1), b.inW = input.dim(2), b.inChannels = input.dim(3);
    const RuntimeTensor& depthwiseFilter = context.input(kDepthwiseFilter);
    const RuntimeTensor& pointwiseFilter = context.input(kPointwiseFilter);
    b.kernelH = depthwiseFilter.dim(1);
    const int kernelW = depthwiseFilter.dim(2);
    b.strideH = options->stride_h();
    const auto padding = options->padding();
    b.outH = reference::convOutputSize(padding, input.dim(1), b.kernelH, b.strideH, 1);
    b.outW = reference::convOutputSize(padding, input.dim(2), kernelW, options->stride_w(), 1);
    b.padTop = reference::convPaddingBefore(input.dim(1), static_cast<int>(b.outH), b.kernelH, b.strideH, 1);
    const int padLeft = reference::convPaddingBefore(input.dim(2), static_cast<int>(b.outW), kernelW, options->stride_w(), 1);
    b.outChannels = pointwiseFilter.dim(0);

    // The filters' shapes were checked with the kernel's choice; the input's
    // channels only show at run time.
    b.expanded = depthwiseFilter.dim(3);
    const int64_t inputChannels = op.fusedExpansion ? context.input(kExpansionFilter).dim(3) : b.expanded;
    if (b.inChannels != inputChannels)
        return context.error("expects " + std::to_string(inputChannels) + " input channels, got " + input.name + " " + shapeText(input.shape));
    const auto bias = [&](size_t index) { return context.hasInput(index) ? context.input(index).as<int32_t>() : nullptr; };
    RuntimeTensor depthwiseInput = input;
    if (op.fusedExpansion) {
        RuntimeTensor expanded = viewOf(subgraph, op.expansionResult);
        auto expansion = packVnniPointwise(input, context.input(kExpansionFilter), bias(kExpansionBias), expanded,
                                           activationOrNone(op.expansionActivation));
        if (!expansion) return context.error(expansion.errorMessage());
        b.expansion = *expansion;
        depthwiseInput = expanded;
    }
    const RuntimeTensor depthwiseOutput = viewOf(subgraph, op.depthwiseResult);
    QuantizedDepthwiseGeometry geometry;
    geometry.inH = b.inH, geometry.inW = b.inW, geometry.outH = b.outH, geometry.outW = b.outW;
    geometry.strideH = b.strideH, geometry.strideW = options->stride_w(), geometry.padTop = b.padTop, geometry.padLeft = padLeft;
    const int depthwiseActivation = op.fusedActivation >= 0 ? op.fusedActivation : options->fused_activation_function();
    auto depthwise = packQuantizedDepthwise(depthwiseInput, depthwiseFilter, bias(kDepthwiseBias), depthwiseOutput, depthwiseActivation, geometry);
    if (!depthwise) return context.error(depthwise.errorMessage());
    b.depthwise = *depthwise;
    const RuntimeTensor pointwiseOutput = op.fusedResidual ? viewOf(subgraph, op.pointwiseResult) : context.output(0);
    auto pointwise = packVnniPointwise(depthwiseOutput, pointwiseFilter, bias(kPointwiseBias), pointwiseOutput,
                                       activationOrNone(op.pointwiseActivation));
    if (!pointwise) return context.error(pointwise.errorMessage());
    b.pointwise = *pointwise;
    context.output(0).shape = {input.dim(0), static_cast<int32_t>(b.outH), static_cast<int32_t>(b.outW), static_cast<int32_t>(b.outChannels)};
    if (op.fusedResidual) {
        const RuntimeTensor& added = context.input(kResidual);
        if (added.shape != context.output(0).shape)
            return context.error("adds " + added.name + " " + shapeText(added.shape) + " to a result " + shapeText(context.output(0).shape));
        auto residual = packQuantizedSum(pointwiseOutput, added, context.output(0), activationOrNone(op.residualActivation));
        if (!residual) return context.error(residual.errorMessage());
        b.residual = *residual;
    }

    b.ringBytes = b.expansion ? wholeLines(b.kernelH * b.inW * b.expanded) : 0;
    b.depthwiseRowAt = b.ringBytes;
    b.pointwiseRowAt = b.depthwiseRowAt + wholeLines(b.outW * b.expanded);
    b.bandBytes = b.pointwiseRowAt + (b.residual ? wholeLines(b.outW * b.outChannels) : 0);
    LS_RETURN_IF_ERROR(splitIntoBands(context, b.batch * b.outH, static_cast<size_t>(b.bandBytes / static_cast<int64_t>(sizeof(float))), b.bands));
    context.state = packed;
    return Status::ok();
}

Status evalBlock(KernelContext& context) {
    const Block& b = *static_cast<const Block*>(context.state.get());
    RunArguments arguments{&b, context.input(0).as<uint8_t>(), b.residual ? context.input(kResidual).as<uint8_t>() : nullptr,
                           context.output(0).as<uint8_t>(), reinterpret_cast<uint8_t*>(bandScratch(context))};
    parallelize1d(static_cast<pthreadpool_t>(threadPoolOf(context)), runBand, &arguments, static_cast<size_t>(b.bands.bands));
    return Status::ok();
}

// 8-bit with per-tensor quantization, of `type`.
bool quantizedAs(const Tensor& tensor, DataType type) {
    return tensor.type == type && tensor.quantization.scales.size() == 1 && tensor.quantization.zeroPoints.size() <= 1;
}

// A constant filter of kh x kw taps the 8-bit kernels take: uint8 with one
// scale, or int8 with zero zero points; and its bias, int32 constant of one
// value a channel of axis `outputAxis` (0 for a 1x1, 3 for a depthwise), or
// none.
bool takesFilter(const Subgraph& subgraph, const Op& op, size_t filterInput, DataType type, int kernelH, int kernelW, int outputAxis) {
    if (op.inputs.size() <= filterInput + 1 || op.inputs[filterInput] < 0) return false;
    const Tensor& filter = subgraph.tensors[static_cast<size_t>(op.inputs[filterInput])];
    if (!filter.isConstant() || filter.type != type || filter.shape.size() != 4 || filter.shape[1] != kernelH || filter.shape[2] != kernelW ||
        filter.quantization.scales.empty())
        return false;
    if (type == DataType::UInt8 && filter.quantization.scheme != Quantization::Scheme::PerTensor) return false;
    if (type == DataType::Int8)
        for (int64_t zero : filter.quantization.zeroPoints)
            if (zero != 0) return false;
    const int bias = op.inputs[filterInput + 1];
    if (bias < 0) return true;
    const Tensor& values = subgraph.tensors[static_cast<size_t>(bias)];
    return values.isConstant() && values.type == DataType::Int32 && values.shape.size() == 1 &&
           values.shape[0] == filter.shape[static_cast<size_t>(outputAxis)];
}

bool takesActivation(int activation) {
    return activation < 0 || activation == schema::ActivationFunctionType_NONE || activation == schema::ActivationFunctionType_RELU ||
           activation == schema::ActivationFunctionType_RELU6 || activation == schema::ActivationFunctionType_RELU_N1_TO_1;
}

}  // namespace

const KernelDef* quantizedInvertedResidualKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel{.prepare = prepareBlock, .eval = evalBlock, .fusesActivation = true};
    if (!cpuHasAvx512Vnni() || !op.fusedSeparableBlock || op.fusedStem || op.fusedEpilogue != Op::Epilogue::None ||
        op.expansionEpilogue != Op::Epilogue::None || model.opCode(op).builtin != schema::BuiltinOperator_DEPTHWISE_CONV_2D ||
        op.inputs.size() < 5 || op.inputs[0] < 0 || op.outputs.size() != 1 || op.outputs[0] < 0 || op.depthwiseResult < 0 ||
        (op.fusedResidual && op.pointwiseResult < 0) || (op.fusedExpansion && (op.expansionResult < 0 || op.inputs.size() < 8)) ||
        op.fusedPadding != std::array<int32_t, 4>{})
        return nullptr;
    const auto* options = op.options->builtin_options_as_DepthwiseConv2DOptions();
    if (!options || options->stride_h() != options->stride_w() || options->stride_h() < 1 || options->stride_h() > 2 ||
        options->dilation_h_factor() != 1 || options->dilation_w_factor() != 1 ||
        !takesActivation(op.fusedActivation >= 0 ? op.fusedActivation : options->fused_activation_function()) ||
        !takesActivation(op.pointwiseActivation) || !takesActivation(op.residualActivation) || !takesActivation(op.expansionActivation))
        return nullptr;
    const Tensor& x = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& y = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    const DataType type = x.type;
    if ((type != DataType::UInt8 && type != DataType::Int8) || x.shape.size() != 4 || !quantizedAs(x, type) ||
        !quantizedAs(y, type) || !quantizedAs(subgraph.tensors[static_cast<size_t>(op.depthwiseResult)], type))
        return nullptr;
    const Tensor& depthwiseFilter = subgraph.tensors[static_cast<size_t>(std::max(op.inputs[kDepthwiseFilter], 0))];
    if (op.inputs[kDepthwiseFilter] < 0 || depthwiseFilter.shape.size() != 4 || depthwiseFilter.shape[0] != 1 ||
        depthwiseFilter.shape[1] > kMostKernelRows ||
        int64_t(depthwiseFilter.shape[1]) * depthwiseFilter.shape[2] > kQuantizedDepthwiseMostTaps ||
        !takesFilter(subgraph, op, kDepthwiseFilter, type, depthwiseFilter.shape[1], depthwiseFilter.shape[2], 3) ||
        !takesFilter(subgraph, op, kPointwiseFilter, type, 1, 1, 0))
        return nullptr;
    const int64_t expanded = depthwiseFilter.shape[3];
    const Tensor& pointwiseFilter = subgraph.tensors[static_cast<size_t>(op.inputs[kPointwiseFilter])];
    if (expanded % 4 != 0 || pointwiseFilter.shape[3] != expanded || y.shape.size() != 4 || y.shape[3] != pointwiseFilter.shape[0]) return nullptr;
    if (op.fusedExpansion) {
        const Tensor& expansion = subgraph.tensors[static_cast<size_t>(op.expansionResult)];
        if (!takesFilter(subgraph, op, kExpansionFilter, type, 1, 1, 0) || !quantizedAs(expansion, type) || x.shape[3] % 4 != 0) return nullptr;
        const Tensor& filter = subgraph.tensors[static_cast<size_t>(op.inputs[kExpansionFilter])];
        if (filter.shape[3] != x.shape[3] || filter.shape[0] != expanded) return nullptr;
    } else if (x.shape[3] != expanded) {
        return nullptr;
    }
    if (op.fusedResidual) {
        if (op.inputs.size() <= kResidual || op.inputs[kResidual] < 0) return nullptr;
        const Tensor& added = subgraph.tensors[static_cast<size_t>(op.inputs[kResidual])];
        const Tensor& sum = subgraph.tensors[static_cast<size_t>(op.pointwiseResult)];
        if (!quantizedAs(added, type) || !quantizedAs(sum, type) || added.shape != y.shape ||
            !reference::fixedPointSum(sum.quantization.scales[0], 0, added.quantization.scales[0], 0, y.quantization.scales[0], false))
            return nullptr;
    }
    return &kernel;
}

}  // namespace litestudio::cpu
