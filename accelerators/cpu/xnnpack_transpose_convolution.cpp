// XNNPACK's deconvolution takes the padding cut from the full output
// ((in - 1) * stride + kernel rows) and an "adjustment" of extra bias-only
// rows at the bottom; both ops' geometries (the reference kernels') map onto
// those: half of any surplus cut from the top, the rest from the bottom, and
// a shortfall (SAME with a kernel smaller than the stride) added below.
#include "accelerators/cpu/xnnpack_transpose_convolution.h"

#include <xnnpack.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "accelerators/cpu/convolution_support.h"
#include "accelerators/cpu/cpu_features.h"
#include "accelerators/cpu/float_stride_sized_transpose_convolution.h"
#include "accelerators/cpu/xnnpack_kernels.h"
#include "accelerators/cpu/xnnpack_operator.h"
#include "core/kernels/reference/kernel_util.h"
#include "core/kernels/reference/mediapipe_ops.h"
#include "core/kernels/reference/reference_kernels.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

namespace {

constexpr const char* kMediaPipeName = "Convolution2DTransposeBias";

struct Placement {
    uint32_t before = 0, after = 0, adjustment = 0;
};

// Where `out` rows of a transposed convolution sit in its full output.
Expected<Placement> place(const KernelContext& context, const char* axis, int64_t in, int64_t out, int kernel, int stride, bool same) {
    const int64_t total = (in - 1) * stride + kernel - out;
    // XNNPACK takes the crop as 32-bit paddings. One past that would wrap,
    // and XNNPACK would size its output 2^32 columns past the tensor (a
    // fuzzed stride of 2^25 over 168 columns asked for a 1.4 TB buffer).
    if (total > static_cast<int64_t>(std::numeric_limits<uint32_t>::max()))
        return context.error("stride " + std::to_string(stride) + " over " + std::to_string(in) + " input " + axis + " crops " +
                             std::to_string(total) + " " + axis + " to leave " + std::to_string(out) + ", more than XNNPACK's 32-bit padding holds");
    Placement p;
    const int64_t before = same ? std::max<int64_t>(0, total / 2) : 0;
    if (total >= before) {
        p.before = static_cast<uint32_t>(before);
        p.after = static_cast<uint32_t>(total - before);
    } else if (before - total < stride) {
        p.before = static_cast<uint32_t>(before);
        p.adjustment = static_cast<uint32_t>(before - total);
    } else {
        return context.error("output of " + std::to_string(out) + " exceeds what XNNPACK's deconvolution can place");
    }
    return p;
}

struct TransposeState {
    std::shared_ptr<void> op;  // the XNNPACK operator
    std::shared_ptr<const StrideSizedTransposeConvolution> strideSized;  // instead of it: a float kernel the size of its stride
    Placement rows, columns;
    int inputIndex = 0;
    DataType type = DataType::Float32;  // of input and output: float32, or uint8/int8 on XNNPACK's qu8/qs8 operators
};

// The 8-bit operator: stored values in and out, int32 bias, the fused
// activation as a clamp of stored values; XNNPACK requantizes in float as
// the reference does.
Status createQuantized(const KernelContext& context, const RuntimeTensor& input, const RuntimeTensor& weights, const RuntimeTensor& out,
                       const Placement& rows, const Placement& columns, int strideH, int strideW, int activation, xnn_operator_t& op) {
    std::vector<int32_t> bias(static_cast<size_t>(out.dim(3)), 0);
    if (context.hasInput(3)) {
        const RuntimeTensor& given = context.input(3);
        if (given.type != DataType::Int32 || given.elementCount() != out.dim(3))
            return context.error("needs an int32 bias of one value per output channel");
        std::copy_n(given.as<const int32_t>(), bias.size(), bias.begin());
    }
    const auto range = reference::quantizedActivationRange(out, static_cast<schema::ActivationFunctionType>(activation));
    const size_t inputChannels = static_cast<size_t>(input.dim(3)), outputChannels = static_cast<size_t>(out.dim(3));
    const auto kernelH = static_cast<uint32_t>(weights.dim(1)), kernelW = static_cast<uint32_t>(weights.dim(2));
    xnn_status status;
    if (input.type == DataType::UInt8)
        status = xnn_create_deconvolution2d_nhwc_qu8(
            rows.before, columns.after, rows.after, columns.before, kernelH, kernelW, static_cast<uint32_t>(strideH),
            static_cast<uint32_t>(strideW), 1, 1, 1, inputChannels, outputChannels, inputChannels, outputChannels,
            static_cast<uint8_t>(input.zeroPoint()), input.scale(), static_cast<uint8_t>(weights.zeroPoint()), weights.scale(),
            weights.as<const uint8_t>(), bias.data(), static_cast<uint8_t>(out.zeroPoint()), out.scale(), static_cast<uint8_t>(range.low),
            static_cast<uint8_t>(range.high), 0, &op);
    else
        status = xnn_create_deconvolution2d_nhwc_qs8(
            rows.before, columns.after, rows.after, columns.before, kernelH, kernelW, static_cast<uint32_t>(strideH),
            static_cast<uint32_t>(strideW), 1, 1, 1, inputChannels, outputChannels, inputChannels, outputChannels,
            static_cast<int8_t>(input.zeroPoint()), input.scale(), weights.scale(), weights.as<const int8_t>(), bias.data(),
            static_cast<int8_t>(out.zeroPoint()), out.scale(), static_cast<int8_t>(range.low), static_cast<int8_t>(range.high), 0, &op);
    return checkXnnpack(context, "deconvolution create", status);
}

bool isMediaPipe(const KernelContext& context) { return context.model->opCode(*context.op).isCustom(); }

Status prepareTranspose(KernelContext& context) {
    const bool mediaPipe = isMediaPipe(context);
    const KernelDef* reference = mediaPipe ? reference::findReferenceCustomKernel(kMediaPipeName)
                                           : findReferenceKernel(schema::BuiltinOperator_TRANSPOSE_CONV);
    LS_RETURN_IF_ERROR(reference->prepare(context));
    context.scratchBytes = 0;
    const int inputIndex = mediaPipe ? 0 : 2;
    const RuntimeTensor& input = context.input(static_cast<size_t>(inputIndex));
    const RuntimeTensor& weights = context.input(1);
    const RuntimeTensor& out = context.output(0);
    if (input.rank() != 4 || weights.rank() != 4 || out.rank() != 4 || weights.dim(3) != input.dim(3) ||
        weights.dim(0) != out.dim(3) || out.dim(0) != input.dim(0))
        return context.error("needs NHWC input, [out, h, w, in] weights and an NHWC output that agree");
    int strideH = 0, strideW = 0, activation = schema::ActivationFunctionType_NONE;
    bool same = false;
    if (mediaPipe) {
        auto params = reference::readMediaPipeParams(context, false);
        if (!params) return params.status();
        same = params->padding == reference::kMediaPipePaddingSame;
        strideW = params->strideWidth, strideH = params->strideHeight;
    } else {
        const auto* options = context.op->options->builtin_options_as_TransposeConvOptions();
        if (!options) return context.error("has no TRANSPOSE_CONV options");
        same = options->padding() == schema::Padding_SAME;
        strideH = options->stride_h(), strideW = options->stride_w();
        activation = options->fused_activation_function();
    }
    if (strideH <= 0 || strideW <= 0) return context.error("needs positive strides");
    auto state = std::make_shared<TransposeState>();
    state->inputIndex = inputIndex;
    auto rows = place(context, "rows", input.dim(1), out.dim(1), weights.dim(1), strideH, same);
    if (!rows) return rows.status();
    auto columns = place(context, "columns", input.dim(2), out.dim(2), weights.dim(2), strideW, same);
    if (!columns) return columns.status();
    state->rows = *rows;
    state->columns = *columns;
    state->type = input.type;
    if (input.type != DataType::Float32) {
        xnn_operator_t op = nullptr;
        LS_RETURN_IF_ERROR(createQuantized(context, input, weights, out, *rows, *columns, strideH, strideW, activation, op));
        state->op = ownOperator(op);
        context.state = state;
        return Status::ok();
    }
    std::vector<float> kernel(static_cast<size_t>(weights.elementCount()));
    reference::toFloats(weights, kernel.data());
    std::vector<float> bias(static_cast<size_t>(out.dim(3)), 0.0f);
    const size_t biasIndex = mediaPipe ? 2 : 3;
    if (context.hasInput(biasIndex)) {
        if (context.input(biasIndex).elementCount() != out.dim(3)) return context.error("bias must have one value per output channel");
        reference::toFloats(context.input(biasIndex), bias.data());
    }
    auto [low, high] = activationRange(activation);
    const bool nothingCropped = rows->before == 0 && rows->after == 0 && rows->adjustment == 0 && columns->before == 0 && columns->after == 0 &&
                                columns->adjustment == 0;
    if (cpuHasAvx512() && weights.dim(1) == strideH && weights.dim(2) == strideW && nothingCropped) {
        state->strideSized = packStrideSizedTransposeConvolution(kernel, bias, out.dim(3), strideH, strideW, input.dim(3), low, high);
        context.state = state;
        return Status::ok();
    }
    const size_t inputChannels = static_cast<size_t>(input.dim(3)), outputChannels = static_cast<size_t>(out.dim(3));
    xnn_operator_t op = nullptr;
    xnn_status status = xnn_create_deconvolution2d_nhwc_f32(
        rows->before, columns->after, rows->after, columns->before, static_cast<uint32_t>(weights.dim(1)),
        static_cast<uint32_t>(weights.dim(2)), static_cast<uint32_t>(strideH), static_cast<uint32_t>(strideW), 1, 1, 1,
        inputChannels, outputChannels, inputChannels, outputChannels, kernel.data(), bias.data(), low, high, 0, &op);
    LS_RETURN_IF_ERROR(checkXnnpack(context, "deconvolution create", status));
    state->op = ownOperator(op);
    context.state = state;
    return Status::ok();
}

Status evalTranspose(KernelContext& context) {
    const auto& state = *static_cast<const TransposeState*>(context.state.get());
    const RuntimeTensor& input = context.input(static_cast<size_t>(state.inputIndex));
    auto* op = static_cast<xnn_operator_t>(state.op.get());
    const auto batch = static_cast<size_t>(input.dim(0)), height = static_cast<size_t>(input.dim(1)), width = static_cast<size_t>(input.dim(2));
    if (state.type == DataType::UInt8)
        LS_RETURN_IF_ERROR(checkXnnpack(context, "deconvolution setup",
                                        xnn_setup_deconvolution2d_nhwc_qu8(op, batch, height, width, state.rows.adjustment,
                                                                           state.columns.adjustment, input.as<uint8_t>(),
                                                                           context.output(0).as<uint8_t>(), poolOf(context))));
    else if (state.type == DataType::Int8)
        LS_RETURN_IF_ERROR(checkXnnpack(context, "deconvolution setup",
                                        xnn_setup_deconvolution2d_nhwc_qs8(op, batch, height, width, state.rows.adjustment,
                                                                           state.columns.adjustment, input.as<int8_t>(),
                                                                           context.output(0).as<int8_t>(), poolOf(context))));
    if (state.type != DataType::Float32) return checkXnnpack(context, "deconvolution run", xnn_run_operator(op, poolOf(context)));
    if (state.strideSized) {
        runStrideSizedTransposeConvolution(context, *state.strideSized, input.as<float>(), input.dim(0), input.dim(1), input.dim(2),
                                           context.output(0).as<float>());
        return Status::ok();
    }
    LS_RETURN_IF_ERROR(checkXnnpack(context, "deconvolution setup",
                                    xnn_setup_deconvolution2d_nhwc_f32(
                                        op, static_cast<size_t>(input.dim(0)), static_cast<size_t>(input.dim(1)),
                                        static_cast<size_t>(input.dim(2)), state.rows.adjustment, state.columns.adjustment,
                                        input.as<float>(), context.output(0).as<float>(), poolOf(context))));
    return checkXnnpack(context, "deconvolution run", xnn_run_operator(op, poolOf(context)));
}

bool constantFloat(const Subgraph& subgraph, int index) {
    return index >= 0 && isConstantFloat(subgraph.tensors[static_cast<size_t>(index)]);
}

bool floatTensor(const Subgraph& subgraph, int index) {
    return index >= 0 && subgraph.tensors[static_cast<size_t>(index)].type == DataType::Float32;
}

// One scale and zero point (XNNPACK's 8-bit deconvolution takes no per-channel weights).
bool perTensor(const Tensor& tensor) {
    return tensor.quantization.scheme == Quantization::Scheme::PerTensor && tensor.quantization.scales.size() == 1 &&
           tensor.quantization.zeroPoints.size() == 1 && tensor.quantization.scales[0] > 0;
}

// An 8-bit TRANSPOSE_CONV XNNPACK's qu8/qs8 operators take: input and output
// of one type, per-tensor constant weights of that type (int8 symmetric),
// a constant int32 bias or none.
bool quantizedOperands(const Subgraph& subgraph, const Op& op) {
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[2])];
    const Tensor& weights = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    if ((input.type != DataType::UInt8 && input.type != DataType::Int8) || output.type != input.type || weights.type != input.type ||
        !weights.isConstant() || weights.isSparse || !perTensor(input) || !perTensor(weights) || !perTensor(output))
        return false;
    if (input.type == DataType::Int8 && weights.quantization.zeroPoints[0] != 0) return false;
    if (!xnnpackRequantizes(input, weights, output)) return false;
    const bool hasBias = op.inputs.size() > 3 && op.inputs[3] >= 0;
    return !hasBias || (subgraph.tensors[static_cast<size_t>(op.inputs[3])].type == DataType::Int32 &&
                        subgraph.tensors[static_cast<size_t>(op.inputs[3])].isConstant());
}

}  // namespace

const KernelDef* transposeConvolutionKernel(const Model& model, const Subgraph& subgraph, const Op& op) {
    static const KernelDef kernel = xnnpackOperatorKernel(prepareTranspose, evalTranspose);
    const OpCode& code = model.opCode(op);
    if (op.outputs.size() != 1 || op.outputs[0] < 0) return nullptr;
    if (code.isCustom()) {
        if (code.customName != kMediaPipeName || op.inputs.size() != 3 || !floatTensor(subgraph, op.outputs[0])) return nullptr;
        return floatTensor(subgraph, op.inputs[0]) && constantFloat(subgraph, op.inputs[1]) && constantFloat(subgraph, op.inputs[2])
                   ? &kernel
                   : nullptr;
    }
    if (code.builtin != schema::BuiltinOperator_TRANSPOSE_CONV || op.inputs.size() < 3) return nullptr;
    const auto* options = op.options ? op.options->builtin_options_as_TransposeConvOptions() : nullptr;
    if (!options) return nullptr;
    if (!isClampActivation(options->fused_activation_function())) return nullptr;
    if (op.inputs[0] >= 0 && subgraph.tensors[static_cast<size_t>(op.inputs[0])].isConstant() && op.inputs[1] >= 0 && op.inputs[2] >= 0 &&
        quantizedOperands(subgraph, op))
        return &kernel;
    const bool hasBias = op.inputs.size() > 3 && op.inputs[3] >= 0;
    if (op.inputs[0] < 0 || !subgraph.tensors[static_cast<size_t>(op.inputs[0])].isConstant() || !constantFloat(subgraph, op.inputs[1]) ||
        !floatTensor(subgraph, op.inputs[2]) || !floatTensor(subgraph, op.outputs[0]) || (hasBias && !constantFloat(subgraph, op.inputs[3])))
        return nullptr;
    return &kernel;
}

}  // namespace litestudio::cpu
