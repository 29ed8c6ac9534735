#include "accelerators/cpu/convolution_support.h"

#include <algorithm>
#include <climits>
#include <array>
#include <string>
#include <tuple>

#include "accelerators/cpu/xnnpack_kernels.h"
#include "core/kernels/reference/kernel_util.h"
#include "tflite_schema_generated.h"

namespace litestudio::cpu {

int paddingBefore(int64_t in, int64_t out, int kernel, int stride, int dilation) {
    return static_cast<int>(std::max<int64_t>(0, (out - 1) * stride + int64_t(kernel - 1) * dilation + 1 - in) / 2);
}

Status paddedPlane(const KernelContext& context, int64_t inH, int64_t inW, int kernel, int strideH, int strideW, bool same,
                   PaddedPlane& plane) {
    return paddedPlane(context, inH, inW, kernel, strideH, strideW, same, context.op->fusedPadding, plane);
}

Status paddedPlane(const KernelContext& context, int64_t inH, int64_t inW, int kernel, int strideH, int strideW, bool same,
                   const std::array<int32_t, 4>& folded, PaddedPlane& plane) {
    const int64_t spanH = inH + folded[0] + folded[1], spanW = inW + folded[2] + folded[3];
    plane.outH = convolutionOutputSize(spanH, kernel, strideH, same);
    plane.outW = convolutionOutputSize(spanW, kernel, strideW, same);
    if (spanH < (same ? 1 : kernel) || spanW < (same ? 1 : kernel) || plane.outH <= 0 || plane.outW <= 0)
        return context.error("the filter is larger than the padded input " + context.input(0).name);
    if (plane.outH > INT32_MAX || plane.outW > INT32_MAX)
        return context.error("a padded plane of " + std::to_string(spanH) + "x" + std::to_string(spanW) + " is past int32");
    plane.padTop = paddingBefore(spanH, plane.outH, kernel, strideH) + folded[0];
    plane.padLeft = paddingBefore(spanW, plane.outW, kernel, strideW) + folded[2];
    return Status::ok();
}

Status readFloatBias(const KernelContext& context, int64_t channels, float* destination, size_t index) {
    if (!context.hasInput(index)) return Status::ok();
    const RuntimeTensor& bias = context.input(index);
    if (bias.elementCount() != channels)
        return context.error("bias has " + std::to_string(bias.elementCount()) + " values, expected " + std::to_string(channels));
    reference::toFloats(bias, destination);
    return Status::ok();
}

namespace {

// The reference takes an input of a multiple of the filter's channels as
// that many groups; none of these kernels do, and each sizes its filter
// rows by the input's channels. The kernels are chosen by the declared
// shapes, so a model whose shapes lie meets this only here.
Status expectUngroupedInput(const KernelContext& context) {
    const RuntimeTensor& input = context.input(0);
    const RuntimeTensor& filter = context.input(1);
    if (input.rank() == 4 && filter.rank() == 4 && input.dim(3) != filter.dim(3))
        return context.error("expects " + std::to_string(filter.dim(3)) + " input channels, as its filter " + filter.name + " " +
                             shapeText(filter.shape) + " has (groups are the reference's), got " + input.name + " " + shapeText(input.shape));
    return Status::ok();
}

}  // namespace

Status prepareReferenceConvolution(KernelContext& context) {
    LS_RETURN_IF_ERROR(withOwnInputs(context, [&] { return findReferenceKernel(schema::BuiltinOperator_CONV_2D)->prepare(context); }));
    return expectUngroupedInput(context);
}

Status prepareReferenceConvolution(KernelContext& context, RuntimeTensor& padded) {
    LS_RETURN_IF_ERROR(
        withOwnInputs(context, [&] { return prepareWithFoldedPadding(context, *findReferenceKernel(schema::BuiltinOperator_CONV_2D), padded); }));
    return expectUngroupedInput(context);
}

bool addsAsResidual(DataType type, const std::vector<int32_t>& residualShape, const std::vector<int32_t>& outputShape) {
    if (type != DataType::Float32 || residualShape.size() != 4 || outputShape.size() != 4) return false;
    for (size_t d = 0; d < 3; ++d)
        if (residualShape[d] != outputShape[d]) return false;
    return residualShape[3] >= 1 && residualShape[3] <= outputShape[3];
}

Status readExactResidual(const KernelContext& context, const RuntimeTensor& residual, float& low, float& high) {
    const RuntimeTensor& output = context.output(0);
    if (residual.shape != output.shape || residual.type != DataType::Float32)
        return context.error("adds " + residual.name + " " + shapeText(residual.shape) + ", expected a float32 " + shapeText(output.shape) +
                             " like the output");
    const int activation = context.op->residualActivation;
    if (activation >= 0 && !isClampActivation(activation)) return context.error("cannot apply the ADD's activation");
    std::tie(low, high) = activationRange(activation);
    return Status::ok();
}

Status readPreluSlopes(const KernelContext& context, int64_t channels, size_t paddedSize, std::vector<float>& slopes) {
    slopes.clear();
    if (context.op->fusedEpilogue != Op::Epilogue::Prelu) return Status::ok();
    if (context.inputs.empty() || !context.inputs.back()) return context.error("a fused PRELU needs its slopes as the last input");
    const RuntimeTensor& tensor = *context.inputs.back();
    if (tensor.elementCount() != channels || (tensor.rank() > 0 && tensor.dim(tensor.rank() - 1) != channels) ||
        static_cast<size_t>(channels) > paddedSize)
        return context.error("PRELU slopes " + tensor.name + " " + shapeText(tensor.shape) + " are not one per channel of " +
                             std::to_string(channels));
    slopes.assign(paddedSize, 0.0f);
    reference::toFloats(tensor, slopes.data());
    return Status::ok();
}

bool hasConvolutionOperands(const Op& op) {
    const bool prelu = op.fusedEpilogue == Op::Epilogue::Prelu;
    const size_t operands = op.inputs.size() - (prelu ? 1 : 0);
    return op.inputs.size() >= 2 && operands >= 2 && operands <= 3 && op.inputs[0] >= 0 && op.inputs[1] >= 0 && op.outputs.size() == 1 &&
           (!prelu || (operands == 3 && op.inputs.back() >= 0));
}

bool sharesEightBitQuantization(const Tensor& a, const Tensor& b) {
    return (a.type == DataType::UInt8 || a.type == DataType::Int8) && b.type == a.type &&
           a.quantization.scheme == Quantization::Scheme::PerTensor && b.quantization.scheme == Quantization::Scheme::PerTensor &&
           a.quantization.scales.size() == 1 && a.quantization.scales[0] > 0 && a.quantization.scales == b.quantization.scales &&
           a.quantization.zeroPoints == b.quantization.zeroPoints;
}

bool isClampActivation(int activation) {
    return activation == schema::ActivationFunctionType_NONE || activation == schema::ActivationFunctionType_RELU ||
           activation == schema::ActivationFunctionType_RELU6 || activation == schema::ActivationFunctionType_RELU_N1_TO_1;
}

bool isConstantFloat(const Tensor& tensor) {
    return tensor.isConstant() && !tensor.isSparse && (tensor.type == DataType::Float32 || tensor.type == DataType::Float16);
}

bool isFloatPointwiseConvolution(const Model& model, const Subgraph& subgraph, const Op& op) {
    if (model.opCode(op).builtin != schema::BuiltinOperator_CONV_2D || op.inputs.size() < 2 || op.inputs[0] < 0 || op.inputs[1] < 0 ||
        op.outputs.size() != 1 || op.outputs[0] < 0 || op.fusedPadding != std::array<int32_t, 4>{})
        return false;
    const auto* options = op.options ? op.options->builtin_options_as_Conv2DOptions() : nullptr;
    if (!options || options->stride_h() != 1 || options->stride_w() != 1 || options->dilation_h_factor() != 1 ||
        options->dilation_w_factor() != 1 || !isClampActivation(options->fused_activation_function()))
        return false;
    const Tensor& input = subgraph.tensors[static_cast<size_t>(op.inputs[0])];
    const Tensor& filter = subgraph.tensors[static_cast<size_t>(op.inputs[1])];
    const Tensor& output = subgraph.tensors[static_cast<size_t>(op.outputs[0])];
    // Fused with a CONCATENATION of a broadcast 1x1 map (Op::fusedBroadcastConcat): the filter spans both parts.
    const Tensor* broadcast = op.fusedBroadcastConcat && op.inputs.size() == 4 && op.inputs[3] >= 0
                                  ? &subgraph.tensors[static_cast<size_t>(op.inputs[3])] : nullptr;
    if (op.fusedBroadcastConcat && (!broadcast || broadcast->type != DataType::Float32 || broadcast->shape.size() != 4 ||
                                    broadcast->shape[0] != 1 || broadcast->shape[1] != 1 || broadcast->shape[2] != 1 ||
                                    input.shape.size() != 4 || input.shape[0] != 1 || op.fusedResidual || op.fusedEpilogue != Op::Epilogue::None))
        return false;
    const int32_t broadcastChannels = broadcast ? broadcast->shape[3] : 0;
    if (input.type != DataType::Float32 || output.type != DataType::Float32 || input.shape.size() != 4 || !isConstantFloat(filter) ||
        filter.shape.size() != 4 || filter.shape[1] != 1 || filter.shape[2] != 1 || filter.shape[3] != input.shape[3] + broadcastChannels ||
        filter.shape[0] < 1 || filter.shape[3] < 1)
        return false;
    if (op.inputs.size() > 2 && op.inputs[2] >= 0 && !isConstantFloat(subgraph.tensors[static_cast<size_t>(op.inputs[2])])) return false;
    if (op.fusedBroadcastConcat) return true;
    // Fused with a batch norm before it (Op::fusedInputAffine): inputs 4 and 5 its scales and shifts,
    // or input 4 alone, scales of each image and channel (a squeeze-and-excitation's); input 3 a fused residual.
    if (op.fusedInputAffine) {
        if (op.inputs.size() != 6 || op.inputs[4] < 0 || (op.inputs[3] >= 0) != op.fusedResidual || op.fusedEpilogue != Op::Epilogue::None ||
            !isClampActivation(op.inputAffineActivation))
            return false;
        const Tensor& scales = subgraph.tensors[static_cast<size_t>(op.inputs[4])];
        if (op.inputs[5] < 0) {
            if (scales.type != DataType::Float32 || scales.shape.size() != 4 || scales.shape[1] != 1 || scales.shape[2] != 1 ||
                scales.shape[3] != input.shape[3])
                return false;
        } else {
            for (const int perChannel : {op.inputs[4], op.inputs[5]})
                if (!isConstantFloat(subgraph.tensors[static_cast<size_t>(perChannel)]) ||
                    subgraph.tensors[static_cast<size_t>(perChannel)].elementCount() != input.shape[3])
                    return false;
        }
        if (!op.fusedResidual) return true;
        const Tensor& residual = subgraph.tensors[static_cast<size_t>(op.inputs[3])];
        return addsAsResidual(residual.type, residual.shape, output.shape) &&
               (op.residualActivation < 0 || isClampActivation(op.residualActivation));
    }
    // A fused PRELU's slopes come last (Op::Epilogue::Prelu), after the bias (or -1).
    const size_t operands = op.inputs.size() - (op.fusedEpilogue == Op::Epilogue::Prelu ? 1 : 0);
    if (op.fusedEpilogue == Op::Epilogue::Prelu && (operands < 3 || op.inputs.back() < 0)) return false;
    if (!op.fusedResidual) return operands <= 3;
    if (operands != 4 || op.inputs[3] < 0) return false;
    const Tensor& residual = subgraph.tensors[static_cast<size_t>(op.inputs[3])];
    return addsAsResidual(residual.type, residual.shape, output.shape) &&
           (op.residualActivation < 0 || isClampActivation(op.residualActivation));
}

}  // namespace litestudio::cpu
